using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

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
            if (o.TryGetProperty("refused", out JsonElement refused) && refused.GetInt64() > 0)
            {
                output.WriteLine($"refused:   {refused.GetInt64()} readings could not be stored; last: {o.GetProperty("lastStoreError").GetString()} at {o.GetProperty("lastStoreErrorAt").GetString()}");
            }

            output.WriteLine($"disk:      {o.GetProperty("diskBytes").GetInt64()} B in {o.GetProperty("segments").GetInt64()} segments   failed attempts {o.GetProperty("consecutiveFailures").GetInt32()}");
        }, ct));
        return command;
    }

    public static Command CreateUpstream()
    {
        var command = new Command("upstream", "Show each upstream service: the platform in force, who set it, its state, cursor and swaps") { AgentQuery.JsonOption };
        command.SetAction((parse, ct) => AgentQuery.RunAsync(parse, "upstream", null, RenderUpstream, ct));
        command.Subcommands.Add(CreateUpstreamSwitch());
        command.Subcommands.Add(CreateUpstreamReset());
        return command;
    }

    private static Command CreateUpstreamSwitch()
    {
        var service = new Argument<string>("service") { Description = "Service name or policy instance ID (readings = 0); a new name adds a service" };
        var url = new Argument<string>("url") { Description = "The new platform: http://, https:// or coap:// host:port/" };
        var cseId = new Option<string>("--cse-id") { Description = "CSE-ID (default: the service's current one)" };
        var cseName = new Option<string>("--cse-name") { Description = "CSEBase name (default: the service's current one)" };
        var origin = new Option<string>("--origin") { Description = "Originator (default: the service's current one)" };
        var rvi = new Option<string>("--rvi") { Description = "Release version (default: the service's current one)" };
        var command = new Command("switch", "Move a service to another platform at runtime (the same path as an LwM2M policy write)")
        {
            service, url, cseId, cseName, origin, rvi, AgentQuery.JsonOption,
        };
        command.SetAction((parse, ct) => AgentQuery.RunAsync(parse, "upstream-switch", new JsonObject
        {
            ["service"] = parse.GetValue(service),
            ["url"] = parse.GetValue(url),
            ["cseId"] = parse.GetValue(cseId),
            ["cseName"] = parse.GetValue(cseName),
            ["origin"] = parse.GetValue(origin),
            ["rvi"] = parse.GetValue(rvi),
        }, (r, output) => output.WriteLine(
            $"service {r.GetProperty("id").GetInt32()} ({r.GetProperty("name").GetString()}): switch to {r.GetProperty("url").GetString()} accepted; 'activegate upstream' shows its progress"), ct));
        return command;
    }

    private static Command CreateUpstreamReset()
    {
        var command = new Command("reset", "Forget the policies written at runtime: the configuration's upstream applies again") { AgentQuery.JsonOption };
        command.SetAction((parse, ct) => AgentQuery.RunAsync(parse, "upstream-reset", null, (r, output) => output.WriteLine(
            $"upstream reset to the configuration: {(r.GetProperty("url").ValueKind == JsonValueKind.String ? r.GetProperty("url").GetString() : "no platform (log only)")}"), ct));
        return command;
    }

    private static void RenderUpstream(JsonElement u, TextWriter output)
    {
        output.WriteLine($"commands: by {u.GetProperty("commands").GetString()}, {u.GetProperty("commandsExecuted").GetInt64()} executed   runtime policies in {u.GetProperty("policyFile").GetString()}");
        foreach (JsonElement s in u.GetProperty("services").EnumerateArray())
        {
            string reason = s.GetProperty("reason").ValueKind == JsonValueKind.String ? ": " + s.GetProperty("reason").GetString() : "";
            output.WriteLine($"service {s.GetProperty("id").GetInt32()} ({s.GetProperty("name").GetString()}): {s.GetProperty("state").GetString()}{reason}   set by {s.GetProperty("source").GetString()}");
            output.WriteLine($"  platform:   {EndpointText(s.GetProperty("policy"))}");
            JsonElement g = s.GetProperty("generation");
            output.WriteLine($"  generation: {g.GetProperty("number").GetInt64()} since {g.GetProperty("since").GetString()}, {g.GetProperty("delivered").GetInt64()} delivered, {g.GetProperty("requests").GetInt64()} requests, {g.GetProperty("roundTrips").GetInt64()} round trips");
            if (s.GetProperty("preparing").ValueKind == JsonValueKind.Object)
            {
                JsonElement p = s.GetProperty("preparing");
                output.WriteLine($"  preparing:  generation {p.GetProperty("number").GetInt64()} at {EndpointText(p.GetProperty("endpoint"))} ({p.GetProperty("state").GetString()})");
            }

            JsonElement c = s.GetProperty("cursor");
            output.WriteLine($"  cursor:     {c.GetProperty("name").GetString()} at {c.GetProperty("position").GetInt64()}, {c.GetProperty("depth").GetInt64()} queued, {c.GetProperty("delivered").GetInt64()} delivered, {c.GetProperty("dropped").GetInt64()} dropped   failed attempts {s.GetProperty("consecutiveFailures").GetInt32()}");
            JsonElement history = s.GetProperty("history");
            if (history.GetArrayLength() > 0)
            {
                output.WriteLine($"  swaps:      {s.GetProperty("switches").GetInt64()} (latest {Math.Min(history.GetArrayLength(), 10)} shown)");
                foreach (JsonElement h in history.EnumerateArray().Reverse().Take(10))
                {
                    output.WriteLine($"    gen {h.GetProperty("generation").GetInt64(),-5} {h.GetProperty("requestedAt").GetString(),-34} → {Text(h, "to"),-30} {h.GetProperty("outcome").GetString(),-10} switch {Ms(h, "switchMs")}, first reading {Ms(h, "firstReadingMs")}, {h.GetProperty("requests").GetInt64()} requests / {h.GetProperty("roundTrips").GetInt64()} round trips, {h.GetProperty("readingsInFlight").GetInt64()} in flight ({Text(h, "source")})");
                }
            }
        }
    }

    private static string EndpointText(JsonElement e) => e.ValueKind != JsonValueKind.Object
        ? "none (readings are written to the log)"
        : $"{e.GetProperty("url").GetString()}  CSE {e.GetProperty("cseId").GetString()} ({e.GetProperty("cseName").GetString()}) as {e.GetProperty("origin").GetString()}, rvi {e.GetProperty("releaseVersion").GetString()}";

    private static string Text(JsonElement e, string name) => e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "-";

    private static string Ms(JsonElement e, string name) => e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Number
        ? v.GetDouble().ToString("0", CultureInfo.InvariantCulture) + " ms" : "-";
}
