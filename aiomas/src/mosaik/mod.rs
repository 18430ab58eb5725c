//! Simulators for the mosaik 3 co-simulation framework (feature `mosaik`, on by default).
//!
//! mosaik drives each simulator over one connection with the channel layer's JSON framing:
//! it calls `init`, `create`, `setup_done`, `step`, `get_data`, extra methods and `stop`;
//! while a call runs, the simulator may call mosaik back ([`MosaikProxy`]). Implement
//! [`Simulator`], describe it with a [`Meta`], and run it with [`start_simulation`], which
//! gives the program mosaik-api-v3's command line:
//!
//! ```text
//! PROG [options] HOST:PORT      connect to mosaik (the scenario's 'cmd': 'PROG %(addr)s')
//!   -r, --remote                listen on HOST:PORT for mosaik instead ('connect': 'HOST:PORT')
//!   -t, --timeout TIME          how long --remote waits for mosaik [default: 60]
//!   -l, --log-level LEVEL       trace, debug, info, warning, error, critical
//! ```
//!
//! On the wire it behaves as mosaik-api-v3: failures are `[type, message, *traceback]` (mosaik
//! raises `RemoteException` from them), `stop` gets no reply and ends the program with exit
//! code 0, a closed connection ends it too, wrong arguments fail with Python's `TypeError`
//! texts, and Python's `NaN`/`Infinity` read and write as in Python.

mod cli;
mod data;
mod mas;
mod meta;
mod proxy;
mod repr;
mod serve;
mod simulator;

pub use cli::{
    parse_addr, run_as_client, run_as_server, start_simulation, start_simulation_with, SimOptions,
    DEFAULT_DESCRIPTION, DEFAULT_HANDSHAKE_TIMEOUT,
};
pub use data::{
    CreatedEntity, EntityData, EntityInputs, Inputs, OutputData, OutputRequest, Sources, Time,
};
pub use mas::{MosaikTime, MAX_SETTLE_ROUNDS, SETTLE_ROUNDS};
pub use meta::{Meta, Model, SimType, API_VERSION};
pub use proxy::{EntityQuery, EntitySpec, MosaikProxy};
pub use repr::py_repr;
pub use serve::{failure, run_simulator, Ended};
pub use simulator::{Params, Simulator};
