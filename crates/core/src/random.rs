//! Random secrets from the operating system's CSPRNG (`getrandom(2)`).

/// Characters of generated passwords: unambiguous to type, and safe in SQL, shell and PHP
/// strings and in URLs without escaping (escaping is still done everywhere).
const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

/// A random string of `len` characters from `alphabet`, without modulo bias.
pub fn string_from(alphabet: &[u8], len: usize) -> std::io::Result<String> {
    assert!(!alphabet.is_empty() && alphabet.len() <= 256);
    // Reject bytes at or above the largest multiple of the alphabet size.
    let limit = 256 - (256 % alphabet.len());
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        getrandom::fill(&mut buf).map_err(std::io::Error::other)?;
        for &b in &buf {
            if (b as usize) < limit && out.len() < len {
                out.push(alphabet[b as usize % alphabet.len()] as char);
            }
        }
    }
    Ok(out)
}

/// `N` random bytes (a salt, a key).
pub fn bytes<const N: usize>() -> std::io::Result<[u8; N]> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(std::io::Error::other)?;
    Ok(out)
}

/// A password of `len` characters (about 5.8 bits of entropy each).
pub fn password(len: usize) -> std::io::Result<String> {
    string_from(ALPHABET, len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_have_the_length_and_alphabet_asked() {
        let p = password(32).unwrap();
        assert_eq!(p.len(), 32);
        assert!(p.bytes().all(|b| ALPHABET.contains(&b)));
        assert_ne!(p, password(32).unwrap());
        assert_ne!(bytes::<16>().unwrap(), bytes::<16>().unwrap());
    }
}
