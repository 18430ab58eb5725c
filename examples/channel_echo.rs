//! The channel example of the aiomas docs: the client sends `ohai`, the server prints it and
//! answers `cya`, which the client prints.

use aiomas::channel::{self, Addr, ChannelOptions};

#[tokio::main]
async fn main() -> aiomas::Result<()> {
    let server = channel::start_server(
        Addr::tcp("127.0.0.1", 0),
        ChannelOptions::default(),
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

    let channel = channel::open_connection(server.addr(), ChannelOptions::default()).await?;
    let reply = channel.send("ohai").await?;
    println!("{}", reply.as_str().unwrap_or_default());
    channel.close().await;
    server.close().await;
    Ok(())
}
