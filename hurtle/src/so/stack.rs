//! The stack an SO deploys: the [`Stack`] trait (what Heat is to Hurtle's sample SO) and the
//! [`SimulatedStack`], which goes through Heat's states on a clock.

use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::so::SoError;

/// A stack's status as Heat reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackStatus {
    /// `CREATE_IN_PROGRESS`, `CREATE_COMPLETE`, `CREATE_FAILED`, `UPDATE_IN_PROGRESS`,
    /// `UPDATE_COMPLETE`, ...
    pub state: String,
    /// The stack id (`RegionOne:<uuid>`).
    pub id: String,
    /// Outputs (`mcn.endpoint.api`, `website_url.RegionOne`, ...), values without `", "` or
    /// `=` (the SM splits on them).
    pub outputs: Vec<(String, String)>,
}

/// Infrastructure an SO creates, changes, reads and removes.
pub trait Stack: Send + Sync + 'static {
    /// Creates the stack with `parameters`.
    fn create(
        &self,
        parameters: &[(String, String)],
    ) -> impl Future<Output = Result<(), SoError>> + Send;
    /// Updates the stack with `parameters`.
    fn update(
        &self,
        parameters: &[(String, String)],
    ) -> impl Future<Output = Result<(), SoError>> + Send;
    /// The current status; `None` before creation.
    fn status(&self) -> impl Future<Output = Result<Option<StackStatus>, SoError>> + Send;
    /// Removes the stack.
    fn delete(&self) -> impl Future<Output = Result<(), SoError>> + Send;
}

/// How a [`SimulatedStack`] behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulatedTimings {
    /// How long `CREATE_IN_PROGRESS` lasts.
    pub create: Duration,
    /// How long `UPDATE_IN_PROGRESS` lasts.
    pub update: Duration,
    /// Whether creation ends in `CREATE_FAILED` (the failure knob).
    pub fail_create: bool,
}

impl Default for SimulatedTimings {
    fn default() -> Self {
        Self {
            create: Duration::from_secs(2),
            update: Duration::from_secs(1),
            fail_create: false,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Phase {
    Create,
    Update,
}

#[derive(Debug)]
struct Simulated {
    id: String,
    phase: Phase,
    since: Instant,
}

/// A stack without infrastructure: `CREATE_IN_PROGRESS` for `create`, then `CREATE_COMPLETE`
/// (or `CREATE_FAILED` with the failure knob); `UPDATE_IN_PROGRESS` for `update` after each
/// update, then `UPDATE_COMPLETE`. Its outputs are fixed at construction.
#[derive(Debug)]
pub struct SimulatedStack {
    timings: SimulatedTimings,
    outputs: Vec<(String, String)>,
    state: Mutex<Option<Simulated>>,
}

impl SimulatedStack {
    /// A simulated stack with `timings` and `outputs`.
    pub fn new(timings: SimulatedTimings, outputs: Vec<(String, String)>) -> Self {
        Self {
            timings,
            outputs,
            state: Mutex::new(None),
        }
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Option<Simulated>>, SoError> {
        self.state
            .lock()
            .map_err(|_| SoError::failed("the simulated stack's lock is poisoned"))
    }
}

impl Stack for SimulatedStack {
    async fn create(&self, _parameters: &[(String, String)]) -> Result<(), SoError> {
        let mut state = self.lock()?;
        if state.is_some() {
            return Err(SoError::not_applicable("the stack exists already"));
        }
        *state = Some(Simulated {
            id: format!("RegionOne:{}", uuid::Uuid::new_v4()),
            phase: Phase::Create,
            since: Instant::now(),
        });
        Ok(())
    }

    async fn update(&self, _parameters: &[(String, String)]) -> Result<(), SoError> {
        let mut state = self.lock()?;
        let Some(s) = state.as_mut() else {
            return Err(SoError::not_applicable("there is no stack to update"));
        };
        if matches!(s.phase, Phase::Create) && self.timings.fail_create {
            return Err(SoError::not_applicable("the stack failed to create"));
        }
        s.phase = Phase::Update;
        s.since = Instant::now();
        Ok(())
    }

    async fn status(&self) -> Result<Option<StackStatus>, SoError> {
        let state = self.lock()?;
        Ok(state.as_ref().map(|s| {
            let elapsed = s.since.elapsed();
            let name = match s.phase {
                Phase::Create if elapsed < self.timings.create => "CREATE_IN_PROGRESS",
                Phase::Create if self.timings.fail_create => "CREATE_FAILED",
                Phase::Create => "CREATE_COMPLETE",
                Phase::Update if elapsed < self.timings.update => "UPDATE_IN_PROGRESS",
                Phase::Update => "UPDATE_COMPLETE",
            };
            StackStatus {
                state: name.to_owned(),
                id: s.id.clone(),
                outputs: self.outputs.clone(),
            }
        }))
    }

    async fn delete(&self) -> Result<(), SoError> {
        *self.lock()? = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn a_stack_without_delays_completes_at_once() {
        let timings = SimulatedTimings {
            create: Duration::ZERO,
            update: Duration::ZERO,
            fail_create: false,
        };
        let stack = SimulatedStack::new(timings, vec![("mcn.endpoint.api".into(), "x".into())]);
        block(async {
            assert_eq!(stack.status().await.unwrap(), None);
            assert!(stack.update(&[]).await.is_err());
            stack.create(&[]).await.unwrap();
            assert!(stack.create(&[]).await.is_err());
            let s = stack.status().await.unwrap().unwrap();
            assert_eq!(s.state, "CREATE_COMPLETE");
            assert!(s.id.starts_with("RegionOne:"));
            stack.update(&[]).await.unwrap();
            assert_eq!(
                stack.status().await.unwrap().unwrap().state,
                "UPDATE_COMPLETE"
            );
            stack.delete().await.unwrap();
            assert_eq!(stack.status().await.unwrap(), None);
        });
    }

    #[test]
    fn the_failure_knob_fails_creation() {
        let timings = SimulatedTimings {
            create: Duration::ZERO,
            update: Duration::ZERO,
            fail_create: true,
        };
        let stack = SimulatedStack::new(timings, Vec::new());
        block(async {
            stack.create(&[]).await.unwrap();
            assert_eq!(
                stack.status().await.unwrap().unwrap().state,
                "CREATE_FAILED"
            );
            assert!(stack.update(&[]).await.is_err());
        });
    }
}
