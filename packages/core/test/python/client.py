"""
A Python client of an aixfx node, built as docs/distributed.md says: stubs generated from the
published .proto files with grpcio-tools, google.rpc.Status from googleapis-common-protos.
Usage: client.py <gen dir> <host:port>  (token in AIXFX_AGENT_TOKEN). Prints one JSON line.
"""
import json, os, sys

sys.path.insert(0, sys.argv[1])  # the generated modules
import grpc  # grpcio's own package, not shadowed by anything generated
from google.protobuf import json_format
from google.rpc import status_pb2  # googleapis-common-protos
from aixfx.agent.v1 import agent_pb2, agent_pb2_grpc
import health_pb2, health_pb2_grpc  # grpc.health.v1, generated at the top level

channel = grpc.insecure_channel(sys.argv[2])
auth = [("authorization", "Bearer " + os.environ["AIXFX_AGENT_TOKEN"])]
stub = agent_pb2_grpc.AgentServiceStub(channel)
out = {}

reply = stub.Execute(agent_pb2.ExecuteRequest(agent="echo", message=agent_pb2.Message(payload="hi")), metadata=auth, timeout=10)
out["payload"] = reply.message.payload


def typed_error(error):
    """The AgentError detail of a failed call: google.rpc.Status in the trailer grpc-status-details-bin."""
    raw = dict(error.trailing_metadata() or ()).get("grpc-status-details-bin")
    status = status_pb2.Status.FromString(raw)
    for detail in status.details:
        if detail.Is(agent_pb2.AgentError.DESCRIPTOR):
            typed = agent_pb2.AgentError()
            detail.Unpack(typed)
            return {"code": error.code().name, "tag": typed.tag, "message": typed.message, "fields": json_format.MessageToDict(typed.fields)}


try:
    stub.Execute(agent_pb2.ExecuteRequest(agent="nobody", message=agent_pb2.Message(payload="x")), metadata=auth, timeout=10)
except grpc.RpcError as error:
    out["error"] = typed_error(error)

health = health_pb2_grpc.HealthStub(channel)
out["health"] = health_pb2.HealthCheckResponse.ServingStatus.Name(
    health.Check(health_pb2.HealthCheckRequest(service="echo"), metadata=auth, timeout=10).status
)
print(json.dumps(out))
