//! The TLS example of the aiomas docs ("Enabling transport security"): the same `ohai` / `cya`
//! exchange as the channel example, over mutual TLS. Server and client both authenticate with a
//! certificate signed by one private root CA, and trust nothing else.
//!
//! ```text
//! cargo run -p aiomas-examples --example tls                                   # throw-away PKI
//! cargo run -p aiomas-examples --example tls -- ca.pem device.pem device.key  # your own files
//! ```
//!
//! Without arguments it makes a throw-away CA and a certificate for `127.0.0.1` with rcgen in
//! a temp dir (removed at the end). With your own files, the certificate must name
//! `127.0.0.1` (an `IP:127.0.0.1` subject alternative name).

use std::path::PathBuf;

use aiomas::channel::{self, Addr, ChannelOptions};
use aiomas::tls::{SslCerts, TlsConfig};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (certs, temp_dir) = match args.as_slice() {
        [ca, cert, key] => (SslCerts::new(ca, cert, key), None),
        [] => {
            let dir =
                std::env::temp_dir().join(format!("aiomas-tls-example-{}", std::process::id()));
            (throw_away_pki(&dir)?, Some(dir))
        }
        _ => return Err("usage: tls [CA_PEM CERT_PEM KEY_PEM]".into()),
    };

    // Like Python's SSLCerts: one set of files gives the server and the client side. One
    // machine plays both roles here; normally each has its own certificate.
    let options = ChannelOptions::default().tls(TlsConfig::from_certs(&certs)?);
    let server = channel::start_server(
        Addr::tcp("127.0.0.1", 0),
        options.clone(),
        |channel| async move {
            while let Ok(request) = channel.recv().await {
                println!("{}", request.content().as_str().unwrap_or_default());
                if request.reply("cya").is_err() {
                    break;
                }
            }
        },
    )
    .await?;

    let channel = channel::open_connection(server.addr(), options).await?;
    let reply = channel.send("ohai").await?;
    println!("{}", reply.as_str().unwrap_or_default());
    channel.close().await;
    server.close().await;
    if let Some(dir) = temp_dir {
        std::fs::remove_dir_all(dir)?;
    }
    Ok(())
}

/// Writes `ca.pem`, `device.pem` and `device.key` to `dir`: a root CA and a certificate for
/// `127.0.0.1` and `localhost` that it signed (good for servers and clients).
fn throw_away_pki(dir: &std::path::Path) -> Result<SslCerts, Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir)?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.distinguished_name
        .push(DnType::CommonName, "aiomas example CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_key = KeyPair::generate()?;
    let ca_pem = ca.self_signed(&ca_key)?.pem();
    let issuer = Issuer::new(ca, ca_key);

    let mut device = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])?;
    device.distinguished_name.push(DnType::CommonName, "device");
    device.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    let device_key = KeyPair::generate()?;
    let device_pem = device.signed_by(&device_key, &issuer)?.pem();

    let path = |name: &str| -> PathBuf { dir.join(name) };
    std::fs::write(path("ca.pem"), ca_pem)?;
    std::fs::write(path("device.pem"), device_pem)?;
    std::fs::write(path("device.key"), device_key.serialize_pem())?;
    Ok(SslCerts::new(
        path("ca.pem"),
        path("device.pem"),
        path("device.key"),
    ))
}
