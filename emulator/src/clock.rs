//! The emulator's clock. Real by default; a manual clock stands still until the control endpoint
//! advances it, so tests of anything timed (the leaky bucket, the 60-day order window) are exact
//! and never sleep. Latency and webhook retry timers always run on real time.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use serde::{Deserialize, Serialize};

/// `"clock"` in the configuration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClockMode {
    #[default]
    Real,
    Manual,
}

#[derive(Debug)]
pub struct Clock {
    /// Unix seconds when the emulator started.
    started_unix: i64,
    ticking: Ticking,
}

#[derive(Debug)]
enum Ticking {
    Real(Instant),
    Manual(Mutex<Duration>),
}

/// A manual clock was asked to move while the clock is real.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotManual;

impl Clock {
    pub fn new(mode: ClockMode) -> Clock {
        let ticking = match mode {
            ClockMode::Real => Ticking::Real(Instant::now()),
            ClockMode::Manual => Ticking::Manual(Mutex::new(Duration::ZERO)),
        };
        Clock { started_unix: super::unix_now(), ticking }
    }

    pub fn mode(&self) -> ClockMode {
        match self.ticking {
            Ticking::Real(_) => ClockMode::Real,
            Ticking::Manual(_) => ClockMode::Manual,
        }
    }

    /// Time since the emulator started: monotonic, and on a manual clock only what was advanced.
    pub fn elapsed(&self) -> Duration {
        match &self.ticking {
            Ticking::Real(started) => started.elapsed(),
            Ticking::Manual(elapsed) => *elapsed.lock().expect("clock lock"),
        }
    }

    /// Unix seconds now, as the shops' timestamps and the order window see it.
    pub fn unix_now(&self) -> i64 {
        match self.ticking {
            Ticking::Real(_) => super::unix_now(),
            Ticking::Manual(_) => self.started_unix.saturating_add(self.elapsed().as_secs() as i64),
        }
    }

    /// Unix seconds at an earlier or later reading of [`Clock::elapsed`], such as a token's expiry.
    pub fn unix_at(&self, elapsed: Duration) -> i64 {
        self.started_unix.saturating_add(i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
    }

    /// Moves a manual clock forward by `by` and returns the new elapsed time.
    pub fn advance(&self, by: Duration) -> Result<Duration, NotManual> {
        match &self.ticking {
            Ticking::Real(_) => Err(NotManual),
            Ticking::Manual(elapsed) => {
                let mut elapsed = elapsed.lock().expect("clock lock");
                *elapsed = elapsed.saturating_add(by);
                Ok(*elapsed)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_advanced() {
        let clock = Clock::new(ClockMode::Manual);
        let start = clock.unix_now();
        assert_eq!(clock.elapsed(), Duration::ZERO);
        assert_eq!(clock.advance(Duration::from_millis(1500)), Ok(Duration::from_millis(1500)));
        assert_eq!(clock.elapsed(), Duration::from_millis(1500));
        assert_eq!(clock.unix_now(), start + 1);
        assert_eq!(clock.unix_at(Duration::from_secs(60)), start + 60);
        assert_eq!(Clock::new(ClockMode::Real).advance(Duration::from_secs(1)), Err(NotManual));
    }
}
