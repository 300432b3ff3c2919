//! The tower adapter: [`OcciService`] serves any `http::Request<B>` body type and answers
//! with [`OcciBody`].

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;

use crate::action::ActionHandler;
use crate::server::Occi;
use crate::store::Store;

/// A cheap-to-clone `tower_service::Service` around an [`Occi`]: it reads the request body
/// (up to the configured limit; a larger one is answered with 413 without reading further),
/// calls [`Occi::handle`] and returns the response. It is always ready and never fails, so
/// it runs unchanged under hyper (through hyper-util's `TowerToHyperService`), axum
/// (`Router::fallback_service`, `nest_service`) and any tower stack.
///
/// ```
/// use occi_server::{Occi, OcciService};
/// let service = OcciService::new(Occi::builder().build()?);
/// let another_handle = service.clone();
/// # let _ = another_handle;
/// # Ok::<(), occi_server::ConfigError>(())
/// ```
#[derive(Debug)]
pub struct OcciService<S, A> {
    occi: Occi<S, A>,
}

impl<S, A> Clone for OcciService<S, A> {
    fn clone(&self) -> Self {
        Self {
            occi: self.occi.clone(),
        }
    }
}

impl<S: Store, A: ActionHandler> OcciService<S, A> {
    /// Wraps a server core.
    pub fn new(occi: Occi<S, A>) -> Self {
        Self { occi }
    }

    /// The server core.
    pub fn occi(&self) -> &Occi<S, A> {
        &self.occi
    }
}

/// The boxed error type of request bodies.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<S, A, B> tower_service::Service<Request<B>> for OcciService<S, A>
where
    S: Store,
    A: ActionHandler,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = Response<OcciBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<OcciBody>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let occi = self.occi.clone();
        Box::pin(async move {
            let limit = occi.body_limit();
            let (parts, body) = request.into_parts();
            let declared = parts
                .headers
                .get(http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            let too_large = |size: String| {
                occi.reject(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("the request body has {size} bytes; the limit is {limit}"),
                )
            };
            if let Some(length) = declared
                && length > limit as u64
            {
                return Ok(too_large(length.to_string()).map(OcciBody::new));
            }
            let bytes = match http_body_util::Limited::new(body, limit).collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(error) => {
                    let response = if error.is::<http_body_util::LengthLimitError>() {
                        too_large(format!("more than {limit}"))
                    } else {
                        occi.reject(
                            StatusCode::BAD_REQUEST,
                            format!("the request body could not be read: {error}"),
                        )
                    };
                    return Ok(response.map(OcciBody::new));
                }
            };
            let response = occi.handle(Request::from_parts(parts, bytes)).await;
            Ok(response.map(OcciBody::new))
        })
    }
}

/// The response body of [`OcciService`]: the whole body in one frame.
#[derive(Debug, Clone, Default)]
pub struct OcciBody {
    data: Option<Bytes>,
}

impl OcciBody {
    /// A body holding `data`.
    pub fn new(data: Bytes) -> Self {
        Self {
            data: (!data.is_empty()).then_some(data),
        }
    }
}

impl From<Bytes> for OcciBody {
    fn from(data: Bytes) -> Self {
        Self::new(data)
    }
}

impl Body for OcciBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.get_mut().data.take().map(|d| Ok(Frame::data(d))))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.data.as_ref().map_or(0, |d| d.len() as u64))
    }
}
