using System.CommandLine;
using System.Text.Json;

namespace ActiveGate.Agent.Cli;

/// <summary><c>activegate lwm2m [--json]</c> and <c>activegate lwm2m reset [--json]</c>.</summary>
internal static class Lwm2mCommand
{
    public static Command Create()
    {
        var command = new Command("lwm2m", "Show the LwM2M client: server in force and its source, state, location, lifetime, next update, observations") { AgentQuery.JsonOption };
        command.SetAction((parse, ct) => AgentQuery.RunAsync(parse, "lwm2m", null, Render, ct));
        command.Subcommands.Add(CreateReset());
        return command;
    }

    /// <summary><c>activegate lwm2m reset</c>: server-written state wins over the configuration until this (or a factory reset).</summary>
    private static Command CreateReset()
    {
        var command = new Command("reset", "Forget what LwM2M servers wrote (server accounts, lifetime, attributes): the configuration's Lwm2m:ServerUri / Lwm2m:BootstrapUri apply again") { AgentQuery.JsonOption };
        command.SetAction((parse, ct) => AgentQuery.RunAsync(parse, "lwm2m-reset", null, (r, output) => output.WriteLine(
            r.GetProperty("reset").GetBoolean()
                ? $"lwm2m reset to the configuration: server {Text(r, "server")}, bootstrap {Text(r, "bootstrap")}; 'activegate lwm2m' shows the registration"
                : $"lwm2m: {Text(r, "state")}, nothing to reset"), ct));
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
        output.WriteLine($"server:       {Text(s, "server")}   bootstrap {Text(s, "bootstrap")}   ({(Text(s, "source") == "server" ? "written by the server; 'activegate lwm2m reset' applies the configuration" : "from the configuration")})");
        if (s.TryGetProperty("overrides", out JsonElement overrides))
        {
            foreach (JsonElement o in overrides.EnumerateArray())
            {
                output.WriteLine($"overridden:   {Text(o, "setting")} {Text(o, "configured")} in the configuration, {Text(o, "inForce")} in force");
            }
        }

        output.WriteLine($"location:     {Text(s, "location")}   lifetime {s.GetProperty("lifetimeSeconds").GetInt32()} s");
        output.WriteLine($"registered:   {Text(s, "registeredAt")}   last update {Text(s, "lastUpdate")}   next update {Text(s, "nextUpdate")}");
        output.WriteLine($"counters:     {s.GetProperty("registrations").GetInt64()} registrations, {s.GetProperty("updates").GetInt64()} updates, {s.GetProperty("bootstraps").GetInt64()} bootstraps, {s.GetProperty("malformedRequests").GetInt64()} malformed requests, {s.GetProperty("ignoredRequests").GetInt64()} requests from others ignored");
        string observations = string.Join(", ", s.GetProperty("observations").EnumerateArray().Select(o => o.GetString()));
        output.WriteLine($"observations: {(observations.Length == 0 ? "none" : observations)}");
    }

    private static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "-";
}
