using System.Text.Json;
using System.Text.Json.Nodes;
using ActiveGate.Agent.Diagnostics;

namespace ActiveGate.Agent.Lwm2m;

/// <summary><c>lwm2m-reset</c>: forget what LwM2M servers wrote (/0, /1, attributes) and register as configured.</summary>
public sealed class Lwm2mResetDiagnostics(Lwm2mService service) : IDiagnosticsCommand
{
    public string Name => "lwm2m-reset";

    public async ValueTask<JsonNode?> ExecuteAsync(JsonElement arguments, CancellationToken cancellationToken)
    {
        bool reset = await service.ResetAsync(cancellationToken).ConfigureAwait(false);
        return new JsonObject
        {
            ["reset"] = reset,
            ["state"] = reset ? null : service.Options.Enabled ? "starting" : "disabled",
            ["server"] = service.Options.ServerUri,
            ["bootstrap"] = service.Options.BootstrapUri,
        };
    }
}
