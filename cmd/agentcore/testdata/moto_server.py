"""moto_server for the AWS-path end-to-end scripts, with one change: AgentCore runtimes and
endpoints go from UPDATING back to READY, as AWS documents. moto's state machine knows only
CREATING -> READY, so an updated runtime would answer UPDATING for ever and no update could be
tested (docs/moto-differences.md). Everything else is moto as installed."""
import sys

from moto.bedrockagentcorecontrol import models

for cls in (models.AgentRuntime, models.AgentRuntimeEndpoint):
    original = cls.__init__

    def init(self, *args, _original=original, **kwargs):
        _original(self, *args, **kwargs)
        self._transitions = list(self._transitions) + [("UPDATING", "READY")]

    cls.__init__ = init

from moto.server import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
