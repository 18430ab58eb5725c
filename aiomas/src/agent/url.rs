//! Agent addresses: `tcp://HOST:PORT/ID`, `ipc://[PATH]/ID`, `local://QUEUE/ID`.

use crate::channel::Addr;
use crate::Error;

/// Splits an agent URL into the container's address and the agent id, as Python's
/// `Container._parse_url` does.
pub(crate) fn parse_agent_url(url: &str) -> Result<(Addr, String), Error> {
    parse(url).map_err(|why| Error::Value(format!("Cannot parse agent URL \"{url}\": {why}")))
}

fn parse(url: &str) -> Result<(Addr, String), String> {
    let (proto, rest) = url
        .split_once("://")
        .ok_or("no protocol (expected tcp://, ipc:// or local://)")?;
    let (addr, aid) = match proto {
        "tcp" => {
            let (host_port, aid) = rest.split_once('/').ok_or("no agent ID specified")?;
            let (host, port) = host_port.rsplit_once(':').ok_or("no port specified")?;
            let port = port
                .parse::<u16>()
                .map_err(|e| format!("invalid port {port:?}: {e}"))?;
            let host = host
                .strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .unwrap_or(host);
            if host.is_empty() {
                return Err("no host specified".into());
            }
            (Addr::tcp(host, port), aid)
        }
        "ipc" => {
            let inner = rest
                .strip_prefix('[')
                .ok_or("the socket path must be written in brackets")?;
            let (path, aid) = inner.split_once("]/").ok_or("no agent ID specified")?;
            (Addr::unix(path), aid)
        }
        "local" => {
            let (queue, aid) = rest.split_once('/').ok_or("no agent ID specified")?;
            (Addr::local(queue), aid)
        }
        other => {
            return Err(format!(
                "unknown protocol {other:?} (expected tcp, ipc or local)"
            ))
        }
    };
    if aid.is_empty() {
        return Err("No agent ID specified.".into());
    }
    Ok((addr, aid.to_owned()))
}

/// The URL prefix of a container's agents; wildcard hosts become the machine's name.
pub(crate) fn base_url(addr: &Addr) -> String {
    match addr {
        Addr::Tcp { host, port } => {
            let host = match host.as_str() {
                "" | "0.0.0.0" | "::" => fqdn(),
                other => other.to_owned(),
            };
            if host.contains(':') {
                format!("tcp://[{host}]:{port}/")
            } else {
                format!("tcp://{host}:{port}/")
            }
        }
        Addr::Unix(path) => format!("ipc://[{}]/", path.display()),
        Addr::Local(queue) => format!("local://{queue}/"),
    }
}

/// How Python prints the address in `Container(...)` messages.
pub(crate) fn python_repr(addr: &Addr) -> String {
    match addr {
        Addr::Tcp { host, port } => format!("('{host}', {port})"),
        Addr::Unix(path) => format!("'{}'", path.display()),
        Addr::Local(queue) => format!("LocalQueue('{queue}')"),
    }
}

/// The machine's host name, as `socket.getfqdn()` gives it where no domain is configured.
fn fqdn() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_transport() {
        assert_eq!(
            parse_agent_url("tcp://localhost:5555/0").unwrap(),
            (Addr::tcp("localhost", 5555), "0".into())
        );
        assert_eq!(
            parse_agent_url("tcp://[::1]:5555/12").unwrap(),
            (Addr::tcp("::1", 5555), "12".into())
        );
        assert_eq!(
            parse_agent_url("ipc://[/tmp/a.sock]/3").unwrap(),
            (Addr::unix("/tmp/a.sock"), "3".into())
        );
        assert_eq!(
            parse_agent_url("local://q/1").unwrap(),
            (Addr::local("q"), "1".into())
        );
    }

    #[test]
    fn bad_urls_say_why_in_pythons_words() {
        for bad in [
            "localhost:5555/0",
            "tcp://localhost:5555/",
            "tcp://localhost/0",
            "udp://x:1/0",
            "ipc:///tmp/a/0",
        ] {
            let err = parse_agent_url(bad).unwrap_err().to_string();
            assert!(
                err.starts_with(&format!("Cannot parse agent URL \"{bad}\": ")),
                "{err}"
            );
        }
    }

    #[test]
    fn base_urls() {
        assert_eq!(base_url(&Addr::tcp("127.0.0.1", 1)), "tcp://127.0.0.1:1/");
        assert_eq!(base_url(&Addr::tcp("::1", 1)), "tcp://[::1]:1/");
        assert!(!base_url(&Addr::tcp("0.0.0.0", 1)).contains("0.0.0.0"));
        assert_eq!(base_url(&Addr::unix("/tmp/x")), "ipc://[/tmp/x]/");
        assert_eq!(base_url(&Addr::local("q")), "local://q/");
    }
}
