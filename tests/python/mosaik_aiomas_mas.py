"""A mosaik simulator whose entities are Python aiomas agents (aiomas 2.0.1
in an aiomas container), for scenario ``aiomas`` of mosaik_scenario.py.

    mosaik_aiomas_mas.py HOST:PORT        (mosaik-api-v3's command line)

Model ``Controller`` (param ``factor``): each entity is a
:class:`Controller` agent in the simulator's container.  mosaik-api-v3 runs
the simulator on its asyncio loop; the container runs on the same loop.  At
each step the simulator calls every agent's ``step`` over aiomas RPC (a
proxy from ``container.connect``), and each agent, through mosaik's async
requests, reads ``val_out`` of the ``A`` entity it is connected to, and
writes ``factor * val_out`` to ``val_in`` of the ``B`` entity it is
connected to.  Its outputs ``read`` and ``wrote`` are the last values read
and written.

mosaik-api-v3 awaits what a generator method yields (its way of making
requests to mosaik), so ``init``, ``create``, ``step`` and ``finalize`` yield
the coroutines that drive the container.
"""
import asyncio
import sys

import aiomas_compat  # noqa: F401  (patches aiomas 2.0.1 for Python 3.11)
import aiomas
import mosaik_api_v3

from agent_peer import bind_addr

META = {
    'type': 'time-based',
    'models': {
        'Controller': {'public': True, 'params': ['factor'], 'attrs': ['read', 'wrote']},
    },
}


class Controller(aiomas.Agent):
    """Reads its ``A`` entity's ``val_out`` and writes ``factor`` times
    that to its ``B`` entity's ``val_in``, both through mosaik."""

    def __init__(self, container, mosaik, full_id, factor):
        super().__init__(container)
        self.mosaik = mosaik
        self.full_id = full_id
        self.factor = factor
        self.source = self.dest = None
        self.read = self.wrote = None

    @aiomas.expose
    async def step(self, time):
        if self.source is None:
            related = await self.mosaik.get_related_entities(self.full_id)
            by_type = {info['type']: full_id for full_id, info in related.items()}
            self.source, self.dest = by_type['A'], by_type['B']
        data = await self.mosaik.get_data({self.source: ['val_out']})
        self.read = data[self.source]['val_out']
        self.wrote = self.factor * self.read
        await self.mosaik.set_data({self.full_id: {self.dest: {'val_in': self.wrote}}})
        return time


class AiomasMas(mosaik_api_v3.Simulator):
    def __init__(self):
        super().__init__(META)
        self.sid = None
        self.container = None
        self.agents = {}  # eid -> (agent, its RPC proxy)

    def init(self, sid, time_resolution):
        self.sid = sid
        self.container = yield aiomas.Container.create(
            bind_addr('127.0.0.1:0'), as_coro=True)
        return self.meta

    def create(self, num, model, factor):
        if model != 'Controller':
            raise ValueError('Can only create "Controller" models.')
        return (yield self._create(num, model, factor))

    async def _create(self, num, model, factor):
        created = []
        for _ in range(num):
            eid = 'Controller_{}'.format(len(self.agents))
            agent = Controller(self.container, self.mosaik,
                               '{}.{}'.format(self.sid, eid), factor)
            self.agents[eid] = (agent, await self.container.connect(agent.addr))
            created.append({'eid': eid, 'type': model})
        return created

    def step(self, time, inputs, max_advance):
        yield self._step(time)
        return time + 1

    async def _step(self, time):
        """Every agent's ``step`` over RPC, all at once."""
        done = await asyncio.gather(*(proxy.step(time) for _, proxy in self.agents.values()))
        assert done == [time] * len(self.agents), done

    def get_data(self, outputs):
        return {eid: {attr: getattr(self.agents[eid][0], attr) for attr in attrs}
                for eid, attrs in outputs.items()}

    def finalize(self):
        if self.container is not None:
            yield self.container.shutdown(as_coro=True)


if __name__ == '__main__':
    sys.exit(mosaik_api_v3.start_simulation(AiomasMas()))
