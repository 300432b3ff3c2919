//! `occi`: talk to an OCCI server from a shell.

mod names;
mod output;

use std::fmt::Write as _;
use std::io::{IsTerminal as _, Write as _};
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory as _, Parser, Subcommand};
use futures_util::TryStreamExt as _;
use occi_client::occi_model::{
    ActionInvocation, AttributeDefinition, CategoryClass, CategoryId, Entity, Link, Location,
    Mixin, Resource,
};
use occi_client::occi_render::Filter;
use occi_client::occi_render::media::MediaType;
use occi_client::{Auth, Client, Dialect, Error, ErrorKind, Format, ListOptions};

use crate::output::Output;

/// Talk to an OCCI server: discover its model, list, describe, create, update, delete
/// entities, trigger actions, manage links and mixins.
///
/// Categories are named by term (`compute`), by `family#term` (`os_tpl#ubuntu-24.04`: the
/// template `ubuntu-24.04` of the `os_tpl` family) or by full type identifier. Locations are
/// paths (`/compute/1`) or absolute URLs; wherever a collection is expected a Kind or Mixin
/// name will do (`occi list compute`). Attribute values are typed by the server's model
/// (`--attr occi.compute.cores=2` sends an integer).
// These doc comments are the --help text, printed as they are, not Markdown.
#[allow(clippy::doc_markdown)]
#[derive(Debug, Parser)]
#[command(
    name = "occi",
    version,
    about,
    long_about,
    after_long_help = "OUTPUT (--output json) is stable:\n  \
  discover: {\"endpoint\", \"server\", \"version\", \"rendering\", \"dialect\", \"categories\": [{\"id\", \"class\", \"title\", \"location\", \"attributes\": [{\"name\", \"type\", \"required\", \"mutable\"}], \"actions\", \"parent\" | \"depends\", \"applies\"}]}\n  \
  list, create, link, delete: {\"locations\": [\"/compute/1\", ...]}\n  \
  describe, update, trigger: [{\"location\", \"kind\", \"mixins\", \"attributes\": {name: value}, \"actions\", \"links\": [...]}]\n\n\
EXIT STATUS: 0 done; 1 the server refused (HTTP error, message on stderr); 2 bad usage or an invalid request; 3 the server could not be reached or timed out; 4 the server's answer could not be read."
)]
struct Args {
    /// The OCCI endpoint (http://host:port, with an optional base path).
    #[arg(
        long,
        short = 'e',
        env = "OCCI_ENDPOINT",
        global = true,
        value_name = "URL"
    )]
    endpoint: Option<String>,

    /// Output format [default: table on a terminal, json otherwise].
    #[arg(long, short = 'o', global = true, value_enum)]
    output: Option<Output>,

    /// The rendering to speak instead of the one chosen at discovery.
    #[arg(long, global = true, value_enum)]
    rendering: Option<RenderingArg>,

    /// Read responses strictly: any deviation from the grammar is an error.
    #[arg(long, global = true)]
    strict: bool,

    /// Print every exchange (credentials redacted) and every deviation on stderr.
    #[arg(long, short = 'v', global = true)]
    verbose: bool,

    /// HTTP Basic user name.
    #[arg(long, env = "OCCI_USER", global = true, value_name = "NAME")]
    user: Option<String>,

    /// HTTP Basic password.
    #[arg(
        long,
        env = "OCCI_PASSWORD",
        global = true,
        value_name = "PASSWORD",
        hide_env_values = true
    )]
    password: Option<String>,

    /// Bearer token (Authorization: Bearer).
    #[arg(
        long,
        env = "OCCI_TOKEN",
        global = true,
        value_name = "TOKEN",
        hide_env_values = true
    )]
    token: Option<String>,

    /// Keystone token for Hurtle (X-Auth-Token); needs --tenant.
    #[arg(
        long,
        env = "OCCI_AUTH_TOKEN",
        global = true,
        value_name = "TOKEN",
        hide_env_values = true,
        requires = "tenant"
    )]
    auth_token: Option<String>,

    /// Keystone tenant for Hurtle (X-Tenant-Name); needs --auth-token.
    #[arg(
        long,
        env = "OCCI_TENANT",
        global = true,
        value_name = "TENANT",
        requires = "auth_token"
    )]
    tenant: Option<String>,

    /// An extra request header, `Name: value` (repeatable).
    #[arg(
        long = "header",
        short = 'H',
        global = true,
        value_name = "NAME: VALUE"
    )]
    headers: Vec<String>,

    /// Seconds one attempt may take.
    #[arg(long, global = true, default_value_t = 30.0, value_name = "SECONDS")]
    timeout: f64,

    /// Also trust the root certificates of this PEM file for https:// endpoints.
    #[cfg(feature = "rustls")]
    #[arg(long, env = "OCCI_CA_CERT", global = true, value_name = "FILE")]
    ca_cert: Option<std::path::PathBuf>,

    /// How often an idempotent request is tried again after a network error or a 502/503/504.
    #[arg(long, global = true, default_value_t = 2, value_name = "N")]
    retries: u32,

    #[command(subcommand)]
    command: Command,
}

/// A rendering to force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum RenderingArg {
    /// text/plain.
    TextPlain,
    /// text/occi (header fields).
    TextOcci,
    /// application/occi+json (GFD.225).
    Json,
    /// PySSF's pre-standard application/occi+json.
    PyssfJson,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Read the query interface: the Kinds, Mixins and Actions the server publishes.
    Discover,
    /// List a collection: a Kind's, a Mixin's, or any path ending with `/`.
    List {
        /// A category name (`compute`) or a location (`/compute/`).
        collection: String,
        /// Only entities of this category (repeatable).
        #[arg(long = "category", value_name = "CATEGORY")]
        categories: Vec<String>,
        /// Only entities with this attribute value, `name=value` (repeatable).
        #[arg(long = "where", value_name = "NAME=VALUE")]
        filters: Vec<String>,
        /// Read the listing page by page, this many entries at a time.
        #[arg(long, value_name = "N")]
        page_size: Option<u64>,
        /// Describe every listed entity instead of printing its location.
        #[arg(long)]
        entities: bool,
    },
    /// Show entities.
    Describe {
        /// Entity locations.
        #[arg(required = true)]
        locations: Vec<String>,
    },
    /// Create an entity of a Kind, in its collection or at a chosen location.
    Create {
        /// The Kind (`compute`).
        kind: String,
        /// A Mixin to associate (repeatable), such as `os_tpl#ubuntu-24.04`.
        #[arg(long = "mixin", short = 'm', value_name = "MIXIN")]
        mixins: Vec<String>,
        /// An attribute, `name=value` (repeatable).
        #[arg(long = "attr", short = 'a', value_name = "NAME=VALUE")]
        attributes: Vec<String>,
        /// Create at this location (PUT) instead of letting the server choose.
        #[arg(long, value_name = "LOCATION")]
        at: Option<String>,
    },
    /// Change attributes of an entity, or add mixins to it (a partial update).
    Update {
        /// The entity's location.
        location: String,
        /// An attribute, `name=value` (repeatable).
        #[arg(long = "attr", short = 'a', value_name = "NAME=VALUE")]
        attributes: Vec<String>,
        /// A Mixin to add (repeatable).
        #[arg(long = "mixin", short = 'm', value_name = "MIXIN")]
        mixins: Vec<String>,
    },
    /// Delete entities (or every entity of a collection).
    Delete {
        /// Locations.
        #[arg(required = true)]
        locations: Vec<String>,
    },
    /// Trigger an action on an entity or on a collection.
    Trigger {
        /// The entity or collection.
        location: String,
        /// The action (`start`, or a full type identifier).
        action: String,
        /// An action parameter, `name=value` (repeatable).
        #[arg(long = "attr", short = 'a', value_name = "NAME=VALUE")]
        attributes: Vec<String>,
    },
    /// Link two resources with a standalone Link.
    Link {
        /// The source resource.
        source: String,
        /// The target resource.
        target: String,
        /// The Link's Kind (`networkinterface`).
        #[arg(long)]
        kind: String,
        /// A Mixin of the link (repeatable).
        #[arg(long = "mixin", short = 'm', value_name = "MIXIN")]
        mixins: Vec<String>,
        /// An attribute, `name=value` (repeatable).
        #[arg(long = "attr", short = 'a', value_name = "NAME=VALUE")]
        attributes: Vec<String>,
    },
    /// Manage Mixins: membership and user-defined Mixins.
    #[command(subcommand)]
    Mixin(MixinCommand),
    /// Print a shell completion script. In bash, category and attribute names also complete
    /// from the server's model (through `occi names`).
    Completion {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the names of the server's categories or attributes, one per line (a term where
    /// it is unique, else the full type identifier), for completion and scripts.
    Names {
        /// What to print.
        #[arg(value_enum)]
        what: NamesArg,
    },
}

/// What `occi names` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum NamesArg {
    /// Kinds.
    Kinds,
    /// Mixins.
    Mixins,
    /// Actions.
    Actions,
    /// Kinds and Mixins (what has a collection).
    Collections,
    /// Attribute names of every category.
    Attributes,
}

/// Completes category and attribute names from the server's model in bash, then falls back
/// to the generated completion.
const BASH_DYNAMIC: &str = r#"
_occi_names() {
    local endpoint=() i
    for ((i = 1; i < ${#COMP_WORDS[@]}; i++)); do
        case "${COMP_WORDS[i]}" in
            --endpoint|-e) endpoint=(--endpoint "${COMP_WORDS[i+1]}") ;;
        esac
    done
    "${COMP_WORDS[0]}" "${endpoint[@]}" names "$1" 2>/dev/null
}
_occi_dynamic() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"
    case "$prev" in
        --attr|-a|--where)
            COMPREPLY=($(compgen -S = -W "$(_occi_names attributes)" -- "$cur"))
            compopt -o nospace 2>/dev/null
            return ;;
        --mixin|-m|add|remove|set) COMPREPLY=($(compgen -W "$(_occi_names mixins)" -- "$cur")); return ;;
        --kind|create) COMPREPLY=($(compgen -W "$(_occi_names kinds)" -- "$cur")); return ;;
        list|--category) COMPREPLY=($(compgen -W "$(_occi_names collections)" -- "$cur")); return ;;
    esac
    if [[ "${COMP_WORDS[COMP_CWORD-2]}" == trigger ]]; then
        COMPREPLY=($(compgen -W "$(_occi_names actions)" -- "$cur"))
        return
    fi
    _occi "$@"
}
complete -F _occi_dynamic -o bashdefault -o default occi
"#;

#[derive(Debug, Subcommand)]
enum MixinCommand {
    /// Associate entities with a Mixin.
    Add {
        /// The Mixin.
        mixin: String,
        /// Entity locations.
        #[arg(required = true)]
        locations: Vec<String>,
    },
    /// Dissociate entities from a Mixin.
    Remove {
        /// The Mixin.
        mixin: String,
        /// Entity locations.
        #[arg(required = true)]
        locations: Vec<String>,
    },
    /// Make exactly these entities the Mixin's.
    Set {
        /// The Mixin.
        mixin: String,
        /// Entity locations.
        locations: Vec<String>,
    },
    /// Define a user Mixin (a tag) on the server.
    Define {
        /// Its type identifier (`http://example.com/tags#blue`).
        id: String,
        /// Its collection's location (`/tags/blue/`).
        #[arg(long)]
        location: String,
        /// Its title.
        #[arg(long)]
        title: Option<String>,
    },
    /// Delete a user Mixin from the server.
    Delete {
        /// The Mixin.
        mixin: String,
    },
}

/// A failure, with its exit status.
struct Failure {
    status: u8,
    message: String,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        let status = match error.kind() {
            ErrorKind::Status => 1,
            ErrorKind::Transport | ErrorKind::Timeout => 3,
            ErrorKind::Parse => 4,
            _ => 2,
        };
        let mut message = error.to_string();
        if let Some(parse) = error.parse_error() {
            for d in parse.diagnostics() {
                let _ = write!(
                    message,
                    "\n  {}: {} ({})",
                    d.position(),
                    d.message(),
                    d.rule()
                );
            }
        }
        Self { status, message }
    }
}

fn usage(message: impl Into<String>) -> Failure {
    Failure {
        status: 2,
        message: message.into(),
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Command::Completion { shell } = args.command {
        let mut command = Args::command();
        let mut stdout = std::io::stdout().lock();
        clap_complete::generate(shell, &mut command, "occi", &mut stdout);
        if shell == clap_complete::Shell::Bash {
            let _ = stdout.write_all(BASH_DYNAMIC.as_bytes());
        }
        return ExitCode::SUCCESS;
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(3);
        }
    };
    match runtime.block_on(run(args)) {
        Ok(text) => {
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(text.as_bytes());
            ExitCode::SUCCESS
        }
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            ExitCode::from(failure.status)
        }
    }
}

fn client(args: &Args) -> Result<Client, Failure> {
    let endpoint = args
        .endpoint
        .as_deref()
        .ok_or_else(|| usage("no endpoint: give --endpoint URL or set OCCI_ENDPOINT"))?;
    let mut builder = Client::builder(endpoint)?
        .strict(args.strict)
        .retries(args.retries, Duration::from_millis(200));
    if args.timeout > 0.0 && args.timeout.is_finite() {
        builder = builder.timeout(Duration::from_secs_f64(args.timeout));
    }
    let auth = match (&args.user, &args.token, &args.auth_token) {
        (Some(user), None, None) => {
            Auth::basic(user.clone(), args.password.clone().unwrap_or_default())
        }
        (None, Some(token), None) => Auth::bearer(token.clone()),
        (None, None, Some(token)) => {
            Auth::keystone(token.clone(), args.tenant.clone().unwrap_or_default())
        }
        (None, None, None) => Auth::None,
        _ => return Err(usage("give one of --user, --token and --auth-token")),
    };
    builder = builder.auth(auth);
    #[cfg(feature = "rustls")]
    if let Some(path) = &args.ca_cert {
        let pem = std::fs::read(path).map_err(|e| usage(format!("{}: {e}", path.display())))?;
        builder = builder.transport(occi_client::HttpTransport::new().add_root_certificates(&pem)?);
    }
    for header in &args.headers {
        let (name, value) = header
            .split_once(':')
            .ok_or_else(|| usage(format!("{header:?}: a header is given as `Name: value`")))?;
        builder = builder.header(name.trim(), value.trim())?;
    }
    if let Some(rendering) = args.rendering {
        builder = builder.format(match rendering {
            RenderingArg::TextPlain => Format::occi(MediaType::TextPlain),
            RenderingArg::TextOcci => Format::occi(MediaType::TextOcci),
            RenderingArg::Json => Format::occi(MediaType::OcciJson),
            RenderingArg::PyssfJson => Format {
                media_type: MediaType::OcciJson,
                dialect: Dialect::PySsf,
            },
        });
    }
    if args.verbose {
        builder = builder.observe(|exchange| eprint!("{exchange}"));
    }
    Ok(builder.build())
}

fn report(verbose: bool, deviations: &[occi_client::occi_render::Deviation]) {
    if verbose {
        for d in deviations {
            // Repairs of the client itself have no place in the input.
            if d.position().line == 0 {
                eprintln!("deviation: {}", d.message());
            } else {
                eprintln!("deviation: {d}");
            }
        }
    }
}

fn attributes(
    definitions: &[&AttributeDefinition],
    given: &[String],
) -> Result<
    Vec<(
        occi_client::occi_model::AttributeName,
        occi_client::occi_model::AttributeValue,
    )>,
    Failure,
> {
    given
        .iter()
        .map(|a| names::attribute(definitions, a).map_err(usage))
        .collect()
}

#[allow(clippy::too_many_lines)]
async fn run(args: Args) -> Result<String, Failure> {
    let output = args.output.unwrap_or(if std::io::stdout().is_terminal() {
        Output::Table
    } else {
        Output::Json
    });
    let client = client(&args)?;
    let verbose = args.verbose;
    let discovered = client.discover().await?;
    report(verbose, &discovered.deviations);
    let model = discovered.value;
    let registry = &model.registry;
    let category = |name: &str, class| names::category(registry, name, class).map_err(usage);
    match args.command {
        Command::Discover => Ok(output::model(&client.endpoint().base(), &model, output)),
        Command::List {
            collection,
            categories,
            filters,
            page_size,
            entities,
        } => {
            let location = names::location_or_collection(registry, &collection).map_err(usage)?;
            let mut filter = Filter::default();
            for c in &categories {
                filter.categories.push(category(c, None)?);
            }
            let all: Vec<&AttributeDefinition> = registry
                .categories()
                .flat_map(|c| c.attributes().iter())
                .collect();
            filter.attributes = attributes(&all, &filters)?;
            let options = ListOptions { filter, page_size };
            if entities {
                let listed: Vec<Entity> = client
                    .list_entities(&location, options)
                    .try_collect()
                    .await?;
                Ok(output::entities(&listed, output))
            } else {
                let listed: Vec<Location> = client.list(&location, options).try_collect().await?;
                Ok(output::locations(&listed, output))
            }
        }
        Command::Describe { locations } => {
            let mut described = Vec::new();
            for l in &locations {
                let reply = client.get(&names::location(l).map_err(usage)?).await?;
                report(verbose, &reply.deviations);
                described.push(reply.value);
            }
            Ok(output::entities(&described, output))
        }
        Command::Create {
            kind,
            mixins,
            attributes: given,
            at,
        } => {
            let kind = category(&kind, Some(CategoryClass::Kind))?;
            let mixins = mixins
                .iter()
                .map(|m| category(m, Some(CategoryClass::Mixin)))
                .collect::<Result<Vec<_>, _>>()?;
            let definitions = registry.effective_attributes(&kind, &mixins);
            let given = attributes(&definitions, &given)?;
            let is_link = registry.is_a(&kind, &occi_client::occi_model::ext::core::link_id());
            let entity = if is_link {
                let mut link = Link::new(kind);
                link.mixins = mixins;
                set_link_attributes(&mut link, given)?;
                Entity::Link(link)
            } else {
                let mut resource = Resource::new(kind);
                resource.mixins = mixins;
                set_resource_attributes(&mut resource, given);
                Entity::Resource(resource)
            };
            let reply = match at {
                Some(at) => {
                    client
                        .create_at(&names::location(&at).map_err(usage)?, &entity)
                        .await?
                }
                None => client.create(&entity).await?,
            };
            report(verbose, &reply.deviations);
            Ok(output::locations(&[reply.value], output))
        }
        Command::Update {
            location,
            attributes: given,
            mixins,
        } => {
            let location = names::location(&location).map_err(usage)?;
            let current = client.get(&location).await?.value;
            let mut all_mixins = current.mixins().to_vec();
            let added = mixins
                .iter()
                .map(|m| category(m, Some(CategoryClass::Mixin)))
                .collect::<Result<Vec<_>, _>>()?;
            all_mixins.extend(added.iter().cloned());
            let definitions = registry.effective_attributes(current.kind(), &all_mixins);
            let given = attributes(&definitions, &given)?;
            let reply = if added.is_empty() {
                client.update_attributes(&location, given).await?
            } else {
                let mut resource = Resource::new(current.kind().clone());
                resource.mixins = added;
                set_resource_attributes(&mut resource, given);
                client
                    .update(&location, &Entity::Resource(resource))
                    .await?
            };
            report(verbose, &reply.deviations);
            match reply.value {
                Some(entity) => Ok(output::entities(&[entity], output)),
                None => Ok(output::entities(
                    &[client.get(&location).await?.value],
                    output,
                )),
            }
        }
        Command::Delete { locations } => {
            let mut deleted = Vec::new();
            for l in &locations {
                let location = names::location_or_collection(registry, l).map_err(usage)?;
                client.delete(&location).await?;
                deleted.push(location);
            }
            Ok(output::locations(&deleted, output))
        }
        Command::Trigger {
            location,
            action,
            attributes: given,
        } => {
            let location = names::location_or_collection(registry, &location).map_err(usage)?;
            let action = category(&action, Some(CategoryClass::Action))?;
            let definitions: Vec<&AttributeDefinition> = registry
                .action(&action)
                .map(|a| a.attributes.iter().collect())
                .unwrap_or_default();
            let mut invocation = ActionInvocation::new(action);
            invocation
                .attributes
                .extend(attributes(&definitions, &given)?);
            let reply = client.trigger(&location, &invocation).await?;
            report(verbose, &reply.deviations);
            match reply.value {
                Some(entity) => Ok(output::entities(&[entity], output)),
                None if location.is_collection() => Ok(output::locations(&[location], output)),
                None => Ok(output::entities(
                    &[client.get(&location).await?.value],
                    output,
                )),
            }
        }
        Command::Link {
            source,
            target,
            kind,
            mixins,
            attributes: given,
        } => {
            let kind = category(&kind, Some(CategoryClass::Kind))?;
            let mixins = mixins
                .iter()
                .map(|m| category(m, Some(CategoryClass::Mixin)))
                .collect::<Result<Vec<_>, _>>()?;
            let definitions = registry.effective_attributes(&kind, &mixins);
            let given = attributes(&definitions, &given)?;
            let mut link = Link::new(kind);
            link.mixins = mixins;
            link.source = Some(names::location(&source).map_err(usage)?);
            link.target = Some(names::location(&target).map_err(usage)?);
            set_link_attributes(&mut link, given)?;
            let reply = client.create(&Entity::Link(link)).await?;
            Ok(output::locations(&[reply.value], output))
        }
        Command::Mixin(command) => mixin(&client, registry, command, output).await,
        Command::Names { what } => Ok(names::listing(registry, what)),
        Command::Completion { .. } => Ok(String::new()),
    }
}

async fn mixin(
    client: &Client,
    registry: &occi_client::occi_model::Registry,
    command: MixinCommand,
    output: Output,
) -> Result<String, Failure> {
    let mixin =
        |name: &str| names::category(registry, name, Some(CategoryClass::Mixin)).map_err(usage);
    let locations = |given: &[String]| {
        given
            .iter()
            .map(|l| names::location(l).map_err(usage))
            .collect::<Result<Vec<_>, _>>()
    };
    match command {
        MixinCommand::Add {
            mixin: m,
            locations: l,
        } => {
            let members = locations(&l)?;
            client.add_to_mixin(&mixin(&m)?, &members).await?;
            Ok(output::locations(&members, output))
        }
        MixinCommand::Remove {
            mixin: m,
            locations: l,
        } => {
            let members = locations(&l)?;
            client.remove_from_mixin(&mixin(&m)?, &members).await?;
            Ok(output::locations(&members, output))
        }
        MixinCommand::Set {
            mixin: m,
            locations: l,
        } => {
            let members = locations(&l)?;
            client.replace_mixin_members(&mixin(&m)?, &members).await?;
            Ok(output::locations(&members, output))
        }
        MixinCommand::Define {
            id,
            location,
            title,
        } => {
            let id: CategoryId = id
                .parse()
                .map_err(|e| usage(format!("{id:?} is not a type identifier: {e}")))?;
            let location = names::location(&location).map_err(usage)?;
            let mut defined = Mixin::new(id).with_location(location.clone());
            defined.title = title;
            client.define_mixin(&defined).await?;
            Ok(output::locations(&[location], output))
        }
        MixinCommand::Delete { mixin: m } => {
            let id = mixin(&m)?;
            let location = registry
                .get(&id)
                .and_then(|c| c.location().cloned())
                .into_iter()
                .collect::<Vec<_>>();
            client.remove_mixin(&id).await?;
            Ok(output::locations(&location, output))
        }
    }
}

/// Core attributes go to the model's fields.
fn set_resource_attributes(
    resource: &mut Resource,
    given: Vec<(
        occi_client::occi_model::AttributeName,
        occi_client::occi_model::AttributeValue,
    )>,
) {
    use occi_client::occi_model::core_attr;
    for (name, value) in given {
        match (name.as_str(), value.as_str()) {
            (core_attr::TITLE, Some(v)) => resource.title = Some(v.to_owned()),
            (core_attr::SUMMARY, Some(v)) => resource.summary = Some(v.to_owned()),
            (core_attr::ID, Some(v)) if occi_client::occi_model::EntityId::new(v).is_ok() => {
                resource.id = occi_client::occi_model::EntityId::new(v).ok();
            }
            _ => {
                resource.attributes.insert(name, value);
            }
        }
    }
}

fn set_link_attributes(
    link: &mut Link,
    given: Vec<(
        occi_client::occi_model::AttributeName,
        occi_client::occi_model::AttributeValue,
    )>,
) -> Result<(), Failure> {
    use occi_client::occi_model::core_attr;
    for (name, value) in given {
        match (name.as_str(), value.as_str()) {
            (core_attr::TITLE, Some(v)) => link.title = Some(v.to_owned()),
            (core_attr::SOURCE, Some(v)) => link.source = Some(names::location(v).map_err(usage)?),
            (core_attr::TARGET, Some(v)) => link.target = Some(names::location(v).map_err(usage)?),
            _ => {
                link.attributes.insert(name, value);
            }
        }
    }
    Ok(())
}
