using System.CommandLine;
using System.Text.Json;

namespace ActiveGate.Agent.Cli;

/// <summary><c>activegate status [--json]</c>: is the agent up, and is every part healthy.</summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var command = new Command("status", "Show the running agent's version, uptime, configuration source and the health of each part")
        {
            AgentQuery.JsonOption,
        };
        command.SetAction((parse, cancellationToken) => AgentQuery.RunAsync(parse, "status", null, Render, cancellationToken));
        return command;
    }

    internal static void Render(JsonElement status, TextWriter output)
    {
        output.WriteLine($"ActiveGate {status.GetProperty("version").GetString()} (pid {status.GetProperty("pid").GetInt32()}), up {AgentQuery.Seconds(status.GetProperty("uptimeSeconds").GetDouble())}");
        JsonElement sources = status.GetProperty("configSources");
        output.WriteLine("config:  " + (sources.GetArrayLength() == 0
            ? "built-in defaults (no configuration file found)"
            : string.Join(", ", sources.EnumerateArray().Select(s => s.GetString()))));
        output.WriteLine("health:  " + (status.GetProperty("healthy").GetBoolean() ? "ok" : "NOT OK (watchdog pings withheld)"));
        foreach (JsonElement part in status.GetProperty("parts").EnumerateArray())
        {
            string detail = part.GetProperty("detail").ValueKind == JsonValueKind.String ? part.GetProperty("detail").GetString()! : "";
            output.WriteLine($"  {part.GetProperty("name").GetString(),-12} {part.GetProperty("status").GetString(),-9} {detail} (last progress {AgentQuery.Seconds(part.GetProperty("sinceProgressSeconds").GetDouble())} ago)");
        }
    }
}
