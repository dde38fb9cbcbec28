using System.CommandLine;
using System.Text.Json;

namespace ActiveGate.Agent.Cli;

/// <summary><c>activegate lwm2m [--json]</c>.</summary>
internal static class Lwm2mCommand
{
    public static Command Create()
    {
        var command = new Command("lwm2m", "Show the LwM2M client: server, state, location, lifetime, next update, observations") { AgentQuery.JsonOption };
        command.SetAction((parse, ct) => AgentQuery.RunAsync(parse, "lwm2m", null, Render, ct));
        return command;
    }

    private static void Render(JsonElement s, TextWriter output)
    {
        string state = s.GetProperty("state").GetString()!;
        if (!s.TryGetProperty("endpoint", out JsonElement endpoint))
        {
            output.WriteLine(state == "disabled" ? "lwm2m: off (no Lwm2m:ServerUri or Lwm2m:BootstrapUri configured)" : "lwm2m: " + state);
            return;
        }

        string reason = s.GetProperty("reason").ValueKind == JsonValueKind.String ? ": " + s.GetProperty("reason").GetString() : "";
        output.WriteLine($"lwm2m:        {state}{reason}");
        output.WriteLine($"endpoint:     {endpoint.GetString()}");
        output.WriteLine($"server:       {Text(s, "server")}   bootstrap {Text(s, "bootstrap")}");
        output.WriteLine($"location:     {Text(s, "location")}   lifetime {s.GetProperty("lifetimeSeconds").GetInt32()} s");
        output.WriteLine($"registered:   {Text(s, "registeredAt")}   last update {Text(s, "lastUpdate")}   next update {Text(s, "nextUpdate")}");
        output.WriteLine($"counters:     {s.GetProperty("registrations").GetInt64()} registrations, {s.GetProperty("updates").GetInt64()} updates, {s.GetProperty("bootstraps").GetInt64()} bootstraps, {s.GetProperty("malformedRequests").GetInt64()} malformed requests");
        string observations = string.Join(", ", s.GetProperty("observations").EnumerateArray().Select(o => o.GetString()));
        output.WriteLine($"observations: {(observations.Length == 0 ? "none" : observations)}");
    }

    private static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "-";
}
