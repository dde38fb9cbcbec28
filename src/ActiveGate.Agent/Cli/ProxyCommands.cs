using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace ActiveGate.Agent.Cli;

/// <summary><c>activegate outbox</c> and <c>activegate upstream</c>.</summary>
internal static class ProxyCommands
{
    public static Command CreateOutbox()
    {
        var command = new Command("outbox", "Show the durable outbox: depth, oldest reading, delivery rate, drops") { AgentQuery.JsonOption };
        command.SetAction((parse, ct) => AgentQuery.RunAsync(parse, "outbox", null, (o, output) =>
        {
            string oldest = o.GetProperty("oldestAgeSeconds").ValueKind == JsonValueKind.Number ? AgentQuery.Seconds(o.GetProperty("oldestAgeSeconds").GetDouble()) : "-";
            output.WriteLine($"queued:    {o.GetProperty("depth").GetInt64()} readings ({o.GetProperty("pendingBytes").GetInt64()} B), oldest {oldest}");
            output.WriteLine($"delivered: {o.GetProperty("delivered").GetInt64()} ({o.GetProperty("deliveredPerSecond").GetDouble().ToString("0.##", CultureInfo.InvariantCulture)}/s)   accepted {o.GetProperty("appended").GetInt64()} in {o.GetProperty("commits").GetInt64()} fsyncs");
            output.WriteLine($"dropped:   {o.GetProperty("dropped").GetInt64()} (bounds)   rejected {o.GetProperty("rejected").GetInt64()}   torn tail at start {o.GetProperty("truncatedBytesAtOpen").GetInt64()} B");
            output.WriteLine($"disk:      {o.GetProperty("diskBytes").GetInt64()} B in {o.GetProperty("segments").GetInt64()} segments   failed attempts {o.GetProperty("consecutiveFailures").GetInt32()}");
        }, ct));
        return command;
    }

    public static Command CreateUpstream()
    {
        var command = new Command("upstream", "Show the oneM2M platform the agent delivers to") { AgentQuery.JsonOption };
        command.SetAction((parse, ct) => AgentQuery.RunAsync(parse, "upstream", null, (u, output) =>
        {
            if (!u.GetProperty("configured").GetBoolean())
            {
                output.WriteLine("upstream: none configured (Upstream:Url); readings are written to the log");
                return;
            }

            output.WriteLine($"upstream: {u.GetProperty("url").GetString()}  CSE {u.GetProperty("cseId").GetString()} ({u.GetProperty("cseName").GetString()}) as {u.GetProperty("origin").GetString()}, rvi {u.GetProperty("releaseVersion").GetString()}");
            output.WriteLine($"commands: by {u.GetProperty("commands").GetString()}, {u.GetProperty("commandsExecuted").GetInt64()} executed   failed attempts {u.GetProperty("consecutiveFailures").GetInt32()}   generation {u.GetProperty("generation").GetInt64()}");
        }, ct));
        return command;
    }
}
