//! Reading a request, once: the `Content-Type` decides where its OCCI data is (the body in
//! text/plain, JSON or text/uri-list, the headers in text/occi), and the [`Operation`]
//! decides what it must hold (an entity, a filter, categories, an action invocation, a
//! location list). The body is decoded before the operation runs, so a retry after a
//! concurrent change never parses it again.

use bytes::Bytes;
use http::StatusCode;
use http::header::{self, HeaderMap};
use occi_model::{ActionInvocation, Category, CategoryId, Entity, Location, OcciVersion, Registry};
use occi_render::media::{self, MediaType};
use occi_render::{Filter, ParseError, ParseOptions, Parsed, json, text, uri_list};

use crate::action::ActionHandler;
use crate::error::Failure;
use crate::route::Operation;
use crate::server::Occi;
use crate::store::{Store, TenantFilter};

/// The syntax a request's OCCI data comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Input {
    /// text/plain or text/occi+plain body.
    Plain,
    /// text/occi: in the headers.
    Headers,
    /// JSON body.
    Json,
    /// text/uri-list body.
    UriList,
}

/// A request's OCCI data, decoded for its operation.
#[derive(Debug, Clone)]
pub(crate) enum Decoded {
    /// The operation reads no data.
    Nothing,
    /// A Category and attribute filter (listings and the query interface).
    Filter(Filter),
    /// Categories (user Mixins added to or removed from the query interface).
    Categories(Vec<Category>),
    /// An entity (create, replace) or a partial update.
    Entity(Box<Entity>),
    /// An action invocation.
    Invocation(Box<ActionInvocation>),
    /// Locations, as paths where they lie under the base URL (Mixin membership, OCCI 1.1
    /// collection delete); `None`: the request lists none.
    Locations(Option<Vec<Location>>),
}

/// The undecoded request data.
pub(crate) struct Raw<'a> {
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a Bytes,
    pub(crate) options: &'a ParseOptions,
    pub(crate) registry: &'a Registry,
    pub(crate) base: &'a str,
}

impl Raw<'_> {
    /// Where the request's OCCI data is: decided by `Content-Type`.
    fn input(&self) -> Result<Input, Failure> {
        match self.headers.get(header::CONTENT_TYPE) {
            Some(value) => {
                let text = value.to_str().map_err(|_| {
                    Failure::new(
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        "the Content-Type header is not visible ASCII",
                    )
                })?;
                let content_type = media::parse_content_type(text).map_err(|e| {
                    Failure::new(
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        format!(
                            "unsupported Content-Type {text:?}: {e}; supported: text/plain, text/occi+plain, text/occi, text/uri-list, application/occi+json, application/json"
                        ),
                    )
                })?;
                if content_type
                    .charset
                    .as_deref()
                    .is_some_and(|c| c != "utf-8" && c != "us-ascii")
                {
                    return Err(Failure::new(
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        "only the utf-8 and us-ascii charsets are supported",
                    ));
                }
                Ok(match content_type.media_type {
                    MediaType::TextOcci => Input::Headers,
                    MediaType::UriList => Input::UriList,
                    MediaType::OcciJson | MediaType::Json => Input::Json,
                    _ => Input::Plain,
                })
            }
            None if self.body.iter().all(u8::is_ascii_whitespace) => Ok(Input::Headers),
            None if self.registry.version() == OcciVersion::V1_1 => Ok(Input::Plain),
            None => Err(Failure::bad_request(
                "a request with a body must say what it is in Content-Type (P12 §5.1)",
            )),
        }
    }

    fn body_text(&self) -> Result<&str, Failure> {
        std::str::from_utf8(self.body).map_err(|e| {
            Failure::bad_request(format!(
                "the request body is not UTF-8 (invalid byte at offset {})",
                e.valid_up_to()
            ))
        })
    }

    /// Reads a document in whichever syntax the request uses.
    fn read<T>(
        &self,
        input: Input,
        what: &str,
        plain: impl FnOnce(&str, &ParseOptions) -> Result<Parsed<T>, ParseError>,
        headers: impl FnOnce(&HeaderMap, &ParseOptions) -> Result<Parsed<T>, ParseError>,
        json: impl FnOnce(&[u8], &ParseOptions) -> Result<Parsed<T>, ParseError>,
    ) -> Result<T, Failure> {
        let parsed = match input {
            Input::Plain => plain(self.body_text()?, self.options),
            Input::Headers => headers(self.headers, self.options),
            Input::Json => json(self.body, self.options),
            Input::UriList => {
                return Err(Failure::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    format!("text/uri-list cannot carry {what}"),
                ));
            }
        };
        Ok(forgiven(parsed.map_err(|e| Failure::parse(what, &e))?))
    }

    fn entity(&self, input: Input) -> Result<Entity, Failure> {
        let registry = self.registry;
        let mut entity = self.read(
            input,
            "entity",
            |s, o| text::plain::parse_entity(s, o, Some(registry)),
            |h, o| text::occi::parse_entity(h, o, Some(registry)),
            json::parse_entity,
        )?;
        normalise_references(&mut entity, self.base);
        Ok(entity)
    }

    /// A partial update: like an entity, but the Kind may be left out (then it is `kind`'s).
    fn update(&self, input: Input, kind: &CategoryId) -> Result<Entity, Failure> {
        let registry = self.registry;
        let mut entity = self.read(
            input,
            "update",
            |s, o| text::plain::parse_entity_update(s, o, registry, kind),
            |h, o| text::occi::parse_entity_update(h, o, registry, kind),
            json::parse_entity,
        )?;
        normalise_references(&mut entity, self.base);
        Ok(entity)
    }

    fn categories(&self, input: Input) -> Result<Vec<Category>, Failure> {
        self.read(
            input,
            "categories",
            text::plain::parse_categories,
            text::occi::parse_categories,
            |b, o| {
                json::parse_categories(b, o)
                    .map(|p| p.map(json::CategoryCollection::into_categories))
            },
        )
    }

    /// The invocation of the action `term` names.
    fn invocation(&self, term: &occi_model::Term) -> Result<ActionInvocation, Failure> {
        let input = self.input();
        if self.body.is_empty()
            && !self.headers.contains_key("category")
            && !matches!(input, Ok(Input::Json))
        {
            return Err(Failure::bad_request(format!(
                "the request must carry the Category of action {term} (H11 §3.4.4)"
            )));
        }
        let invocation = self.read(
            input?,
            "action invocation",
            text::plain::parse_action_invocation,
            text::occi::parse_action_invocation,
            json::parse_action_invocation,
        )?;
        if invocation.action.term() != term {
            return Err(Failure::bad_request(format!(
                "the query string asks for action {term}, the body for {}",
                invocation.action
            )));
        }
        Ok(invocation)
    }

    fn filter(&self) -> Result<Filter, Failure> {
        let mut filter = forgiven(
            text::occi::parse_filter(self.headers, self.options)
                .map_err(|e| Failure::parse("filter", &e))?,
        );
        if !self.body.is_empty() && matches!(self.input(), Ok(Input::Plain)) {
            let body = forgiven(
                text::plain::parse_filter(self.body_text()?, self.options)
                    .map_err(|e| Failure::parse("filter", &e))?,
            );
            filter.categories.extend(body.categories);
            filter.attributes.extend(body.attributes);
        }
        Ok(filter)
    }
}

/// The value of a lenient parse; each deviation it forgave is logged at info level, where a
/// server's operator sees it by default.
fn forgiven<T>(parsed: Parsed<T>) -> T {
    for deviation in &parsed.deviations {
        tracing::info!(%deviation, "lenient parse forgave a deviation");
    }
    parsed.value
}

impl<S: Store, A: ActionHandler> Occi<S, A> {
    /// Decodes what `operation` reads from the request, once.
    pub(crate) async fn decode(
        &self,
        operation: &Operation,
        raw: &Raw<'_>,
        action: Option<&occi_model::Term>,
        tenant: &TenantFilter,
    ) -> Result<Decoded, Failure> {
        Ok(match operation {
            Operation::QueryInterface | Operation::List(_) => Decoded::Filter(raw.filter()?),
            Operation::AddMixins | Operation::RemoveMixins => {
                Decoded::Categories(raw.categories(raw.input()?)?)
            }
            Operation::Create(_) | Operation::Put(_) => {
                Decoded::Entity(Box::new(raw.entity(raw.input()?)?))
            }
            Operation::Update(location) => {
                // A partial update may leave out the Kind: it is the stored entity's, which
                // never changes at a location.
                let Some(stored) = self.get_stored(tenant, location).await? else {
                    return Err(Failure::not_found(format!("no entity at {location}")));
                };
                Decoded::Entity(Box::new(raw.update(raw.input()?, stored.entity.kind())?))
            }
            Operation::CollectionAction(_) | Operation::EntityAction(_) => {
                let term = action.expect("the route table gives actions only for ?action=");
                Decoded::Invocation(Box::new(raw.invocation(term)?))
            }
            Operation::DeleteCollection(_)
                if raw.body.is_empty() && !raw.headers.contains_key("x-occi-location") =>
            {
                Decoded::Locations(None)
            }
            Operation::DeleteCollection(_) | Operation::Membership(..) => {
                Decoded::Locations(Some(self.locations(raw, tenant).await?))
            }
            Operation::DeleteBelow(_) | Operation::Retrieve(_) | Operation::Delete(_) => {
                Decoded::Nothing
            }
        })
    }

    /// Reads a location list (Mixin membership, 1.1 collection delete); JSON names entities
    /// by location or id.
    async fn locations(
        &self,
        raw: &Raw<'_>,
        tenant: &TenantFilter,
    ) -> Result<Vec<Location>, Failure> {
        let input = raw.input()?;
        let locations = match input {
            Input::UriList => forgiven(
                uri_list::parse(raw.body_text()?, raw.options)
                    .map_err(|e| Failure::parse("location list", &e))?,
            ),
            Input::Json => {
                let refs = forgiven(
                    json::parse_mixin_association(raw.body, raw.options)
                        .map_err(|e| Failure::parse("entity list", &e))?,
                );
                let mut out = Vec::with_capacity(refs.len());
                for r in refs {
                    match r {
                        json::EntityRef::Location(l) => out.push(l),
                        json::EntityRef::Id(id) => out.push(self.locate_id(tenant, &id).await?),
                    }
                }
                out
            }
            Input::Plain | Input::Headers => raw.read(
                input,
                "location list",
                text::plain::parse_locations,
                text::occi::parse_locations,
                |_, _| unreachable!("JSON is read above"),
            )?,
        };
        locations
            .into_iter()
            .map(|l| to_path(&l, raw.base))
            .collect()
    }
}

/// A path for a location given as an absolute URL under `base`; other URLs stay as they are.
pub(crate) fn to_path(location: &Location, base: &str) -> Result<Location, Failure> {
    if location.is_path() || base.is_empty() {
        return Ok(location.clone());
    }
    match location.as_str().strip_prefix(base) {
        Some(rest) if rest.starts_with('/') => {
            Location::new(rest).map_err(|e| Failure::bad_request(e.to_string()))
        }
        _ => Ok(location.clone()),
    }
}

/// Turns link sources and targets given as URLs under `base` into paths.
fn normalise_references(entity: &mut Entity, base: &str) {
    let fix = |l: &mut Option<Location>| {
        if let Some(loc) = l.as_ref()
            && let Ok(path) = to_path(loc, base)
        {
            *l = Some(path);
        }
    };
    match entity {
        Entity::Resource(r) => {
            for link in &mut r.links {
                fix(&mut link.source);
                fix(&mut link.target);
            }
        }
        Entity::Link(l) => {
            fix(&mut l.source);
            fix(&mut l.target);
        }
    }
}
