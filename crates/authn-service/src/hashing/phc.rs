//! argon2id on caller-provided memory: hashing into, and verifying against, PHC strings
//! (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`), the format `password_hash`'s `PasswordHasher` writes, so
//! hashes stored before this module existed verify unchanged.
//!
//! Everything here runs on a hashing worker thread (see `workers`) and takes that thread's memory block,
//! so no hash allocates its `ARGON2_MEMORY_KIB` afresh. Two rules for logins live here too:
//! - Verifying a stored hash costs the same argon2 work as verifying the dummy hash (today's
//!   parameters): when the stored hash's parameters are cheaper, a throwaway computation on the same
//!   memory makes up the difference, so an account with an old hash cannot be told from an unknown user
//!   by timing. Work is counted in block compressions (`blocks × passes`), which is what argon2's running
//!   time is proportional to.
//! - A hash whose algorithm, version, parameters or length differ from today's is reported as outdated,
//!   so that a successful login can store a fresh one.

use super::PasswordHash;
use crate::error::Error;
use argon2::password_hash::phc::{Output, ParamsString, PasswordHash as Phc, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};

/// The hash length we write: argon2's default, 32 bytes.
const OUTPUT_LEN: usize = Params::DEFAULT_OUTPUT_LEN;

/// The salt of the padding computation: its output is thrown away, so it need not be secret or random.
const PADDING_SALT: &[u8] = b"authn-timing-padding";

/// Memory for argon2: the worker's own block, grown temporarily for a stored hash that needs more.
pub struct Memory {
    blocks: Vec<Block>,
}

impl Memory {
    /// Enough blocks for `params` (allocated once, reused by every hash of the worker).
    pub fn for_params(params: &Params) -> Self {
        Self { blocks: vec![Block::new(); params.block_count()] }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    /// Runs `argon2` on this memory, or, when `argon2` needs more blocks than it holds (a stored hash
    /// made with a larger `ARGON2_MEMORY_KIB` than today's), on a temporary allocation freed right after:
    /// such hashes are rare and are replaced at their next successful login.
    fn hash_into(&mut self, argon2: &Argon2<'_>, password: &[u8], salt: &[u8], out: &mut [u8]) -> Result<(), Error> {
        let needed = argon2.params().block_count();
        let result = if needed <= self.blocks.len() {
            argon2.hash_password_into_with_memory(password, salt, out, &mut self.blocks[..])
        } else {
            argon2.hash_password_into_with_memory(password, salt, out, vec![Block::new(); needed])
        };
        result.map_err(|error| Error::Hashing(error.to_string()))
    }
}

/// The argon2 work of one hash with `params`: block compressions.
pub fn work(params: &Params) -> u64 {
    // Widening casts: block counts fit u64 on every platform.
    params.block_count() as u64 * u64::from(params.t_cost())
}

/// Hashes `password` with today's `params` and a fresh random salt.
pub fn hash(params: &Params, password: &[u8], memory: &mut Memory) -> Result<PasswordHash, Error> {
    let salt = Salt::generate();
    let mut out = [0u8; OUTPUT_LEN];
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    memory.hash_into(&argon2, password, &salt, &mut out)?;
    let phc = Phc {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(|error| Error::Hashing(error.to_string()))?,
        salt: Some(salt),
        hash: Some(Output::new(&out).map_err(|error| Error::Hashing(error.to_string()))?),
    };
    Ok(PasswordHash::from_stored(phc.to_string()))
}

/// What checking a password against a stored hash found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    pub matched: bool,
    /// The stored hash was not made with today's algorithm, version and parameters.
    pub outdated: bool,
    /// Block compressions spent, the padding included.
    pub work: u64,
}

/// Checks `password` against `stored`, with the parameters recorded in the hash itself (so raising the
/// settings does not lock out users with older hashes), then pads the work up to one hash with
/// `current`.
pub fn verify(password: &[u8], stored: &PasswordHash, current: &Params, memory: &mut Memory) -> Result<Checked, Error> {
    let corrupt = |error: &dyn std::fmt::Display| Error::CorruptRecord(format!("stored password hash: {error}"));
    let phc = Phc::new(stored.as_str()).map_err(|error| corrupt(&error))?;
    let algorithm = Algorithm::try_from(phc.algorithm.as_str()).map_err(|error| corrupt(&error))?;
    let version = phc.version.map(Version::try_from).transpose().map_err(|error| corrupt(&error))?.unwrap_or_default();
    let params = Params::try_from(&phc).map_err(|error| corrupt(&error))?;
    let (Some(salt), Some(expected)) = (&phc.salt, &phc.hash) else {
        return Err(corrupt(&"no salt or no hash"));
    };
    let mut out = [0u8; Output::MAX_LENGTH];
    let out = &mut out[..expected.len()];
    memory.hash_into(&Argon2::new(algorithm, version, params.clone()), password, salt, out)?;
    let computed = Output::new(out).map_err(|error| Error::Hashing(error.to_string()))?;
    // `Output`'s equality is constant-time.
    let matched = computed == *expected;
    let outdated = algorithm != Algorithm::Argon2id
        || version != Version::V0x13
        || (params.m_cost(), params.t_cost(), params.p_cost())
            != (current.m_cost(), current.t_cost(), current.p_cost())
        || expected.len() != OUTPUT_LEN;
    let work = work(&params) + pad(password, work(current).saturating_sub(work(&params)), current, memory)?;
    Ok(Checked { matched, outdated, work })
}

/// Spends about `deficit` block compressions on a throwaway argon2 run that fits the worker's memory;
/// returns the work actually done (within a few blocks of `deficit`, and never more).
fn pad(password: &[u8], deficit: u64, current: &Params, memory: &mut Memory) -> Result<u64, Error> {
    let Some(params) = padding_params(deficit, current.block_count() as u64) else {
        return Ok(0);
    };
    let mut out = [0u8; OUTPUT_LEN];
    memory.hash_into(
        &Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone()),
        password,
        PADDING_SALT,
        &mut out,
    )?;
    Ok(work(&params))
}

/// Parameters whose work is at most `deficit` (and short of it by less than 4 blocks per pass) with no
/// more than `max_blocks` blocks of memory; `None` when the deficit is too small to be worth a run.
fn padding_params(deficit: u64, max_blocks: u64) -> Option<Params> {
    let passes = deficit.div_ceil(max_blocks.max(1));
    let blocks = deficit / passes.max(1);
    let (Ok(blocks), Ok(passes)) = (u32::try_from(blocks), u32::try_from(passes)) else {
        return None;
    };
    // argon2's minimum is 8 blocks; below that the difference is a few microseconds.
    Params::new(blocks, passes, 1, None).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::PasswordHasher;

    fn params(m: u32, t: u32) -> Params {
        Params::new(m, t, 1, None).expect("valid")
    }

    #[test]
    fn our_hashes_are_phc_strings_that_password_hash_verifies() {
        let current = params(1024, 2);
        let mut memory = Memory::for_params(&current);
        let hash = hash(&current, b"correct horse", &mut memory).expect("hash");
        assert!(hash.as_str().starts_with("$argon2id$v=19$m=1024,t=2,p=1$"), "{}", hash.as_str());
        let parsed = Phc::new(hash.as_str()).expect("parses");
        use argon2::PasswordVerifier;
        Argon2::default().verify_password(b"correct horse", &parsed).expect("password_hash agrees");
    }

    #[test]
    fn hashes_written_by_password_hash_still_verify() {
        let old = Argon2::new(Algorithm::Argon2id, Version::V0x13, params(512, 1));
        let stored = PasswordHash::from_stored(old.hash_password(b"correct horse").expect("hash").to_string());
        let current = params(1024, 2);
        let mut memory = Memory::for_params(&current);
        let checked = verify(b"correct horse", &stored, &current, &mut memory).expect("verify");
        assert!(checked.matched && checked.outdated);
        assert!(!verify(b"wrong horse", &stored, &current, &mut memory).expect("verify").matched);
    }

    #[test]
    fn a_hash_needing_more_memory_than_the_worker_has_verifies_on_a_temporary_block() {
        let bigger = params(2048, 1);
        let stored = hash(&bigger, b"correct horse", &mut Memory::for_params(&bigger)).expect("hash");
        let current = params(256, 1);
        let mut memory = Memory::for_params(&current);
        let checked = verify(b"correct horse", &stored, &current, &mut memory).expect("verify");
        assert!(checked.matched && checked.outdated);
        assert_eq!(memory.len(), 256, "the worker's own block keeps its size");
    }

    #[test]
    fn an_old_cheaper_hash_costs_the_same_work_as_one_with_todays_parameters() {
        let current = params(1024, 2);
        let mut memory = Memory::for_params(&current);
        let today = hash(&current, b"pw", &mut memory).expect("hash");
        let cheap = hash(&params(64, 1), b"pw", &mut memory).expect("hash");
        let odd = hash(&params(333, 3), b"pw", &mut memory).expect("hash");
        let reference = verify(b"guess", &today, &current, &mut memory).expect("verify");
        assert_eq!(reference.work, work(&current));
        assert!(!reference.outdated);
        for stored in [cheap, odd] {
            let checked = verify(b"guess", &stored, &current, &mut memory).expect("verify");
            assert!(checked.outdated);
            // Within a few blocks per padding pass: microseconds out of tens of milliseconds.
            assert!(checked.work <= reference.work && reference.work - checked.work < 16, "{checked:?}");
        }
    }

    #[test]
    fn other_versions_lengths_and_algorithms_are_outdated() {
        let current = params(256, 1);
        let mut memory = Memory::for_params(&current);
        for (algorithm, version, length) in [
            (Algorithm::Argon2i, Version::V0x13, None),
            (Algorithm::Argon2id, Version::V0x10, None),
            (Algorithm::Argon2id, Version::V0x13, Some(16)),
        ] {
            let old = Params::new(256, 1, 1, length).expect("valid");
            let stored = Argon2::new(algorithm, version, old).hash_password(b"pw").expect("hash").to_string();
            let checked = verify(b"pw", &PasswordHash::from_stored(stored), &current, &mut memory).expect("verify");
            assert!(checked.matched && checked.outdated, "{algorithm:?} {version:?} {length:?}");
        }
    }

    #[test]
    fn padding_never_exceeds_the_deficit_or_the_memory() {
        for (deficit, max_blocks) in [(10_000, 1024), (2048, 1024), (1500, 1024), (7, 1024), (19_456 * 2 - 8, 19_456)] {
            match padding_params(deficit, max_blocks) {
                Some(params) => {
                    assert!(work(&params) <= deficit && deficit - work(&params) < 4 * u64::from(params.t_cost()));
                    assert!(params.block_count() as u64 <= max_blocks);
                }
                None => assert!(deficit < 8, "{deficit}"),
            }
        }
    }
}
