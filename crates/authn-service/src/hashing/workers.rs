//! A fixed set of OS threads that run argon2, each on one memory block it owns for its whole life.
//!
//! Before this, every hash ran on tokio's blocking pool and allocated its `ARGON2_MEMORY_KIB` afresh on
//! whichever of its (up to 512) threads picked it up; the allocator kept those blocks per thread, and a
//! login flood took the process to about 1 GiB. Here `ARGON2_MAX_CONCURRENT` threads are started once,
//! each allocating [`Memory`] for today's parameters, so argon2's memory is bounded by
//! `ARGON2_MAX_CONCURRENT × ARGON2_MEMORY_KIB` however many logins arrive. Jobs come through a bounded
//! channel; the async side awaits a oneshot answer. A stored hash that needs more memory than today's
//! parameters (made before `ARGON2_MEMORY_KIB` was lowered) is verified on a temporary allocation (see
//! `phc`), and replaced at the user's next successful login.

use super::phc::Memory;
use crate::error::Error;
use argon2::Params;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::oneshot;

/// What a worker runs: a closure over its memory. It answers through the oneshot it captured.
type Job = Box<dyn FnOnce(&mut Memory) + Send>;

/// The queue to the workers. Dropping the last clone closes it, and the threads end.
#[derive(Debug, Clone)]
pub struct Workers {
    jobs: SyncSender<Job>,
    /// Block compressions done so far, padding included: argon2's work, for tests and metrics.
    work: Arc<AtomicU64>,
}

impl Workers {
    /// Starts `count` threads, each with memory for `params`. `capacity` bounds the jobs waiting in the
    /// channel; the hasher's permits keep it from ever filling.
    pub fn start(count: usize, capacity: usize, params: &Params) -> Result<Self, Error> {
        let (jobs, queue) = sync_channel::<Job>(capacity.max(1));
        let queue = Arc::new(Mutex::new(queue));
        for index in 0..count.max(1) {
            let queue = Arc::clone(&queue);
            let params = params.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{index}"))
                .spawn(move || run(&queue, &mut Memory::for_params(&params)))
                .map_err(|error| Error::Hashing(format!("a hashing thread could not start: {error}")))?;
        }
        Ok(Self { jobs, work: Arc::default() })
    }

    /// Runs `work` on a worker and awaits its answer; `work` returns its value and the block compressions
    /// it spent. Work whose requester is gone (a dropped request) by the time a worker takes it up is not
    /// run at all.
    pub async fn run<T, W>(&self, work: W) -> Result<T, Error>
    where
        T: Send + 'static,
        W: FnOnce(&mut Memory) -> Result<(T, u64), Error> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let spent = Arc::clone(&self.work);
        let job: Job = Box::new(move |memory| {
            if answer.is_closed() {
                return;
            }
            let result = work(memory).map(|(value, work)| {
                spent.fetch_add(work, Ordering::Relaxed);
                value
            });
            // The requester may have gone meanwhile; the answer is then dropped.
            let _ = answer.send(result);
        });
        self.jobs.try_send(job).map_err(|error| match error {
            TrySendError::Full(_) => Error::HashingBusy,
            TrySendError::Disconnected(_) => Error::Hashing("the hashing threads have stopped".to_owned()),
        })?;
        answered.await.map_err(|_dropped| Error::BlockingTask("a hashing job ended without an answer".to_owned()))?
    }

    /// Block compressions done so far.
    pub fn work_done(&self) -> u64 {
        self.work.load(Ordering::Relaxed)
    }
}

/// A worker's loop: take a job, run it on the thread's memory, until the channel closes.
fn run(queue: &Mutex<Receiver<Job>>, memory: &mut Memory) {
    loop {
        // The lock is held only while waiting for the next job; a poisoned lock still guards a receiver.
        let job = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(job) = job else { return };
        // A panic inside argon2 must not shrink the pool: the job's oneshot is dropped (its requester
        // gets an error) and the thread takes the next job.
        if catch_unwind(AssertUnwindSafe(|| job(memory))).is_err() {
            tracing::error!("a hashing job panicked");
        }
    }
}
