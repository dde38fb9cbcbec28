using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ActiveGate.Agent.Cli;

/// <summary><c>activegate mesh</c> and <c>activegate ping</c>.</summary>
internal static class MeshCommands
{
    public static Command CreateMesh()
    {
        var command = new Command("mesh", "Show the mesh interface: addresses, nodes, frame and datagram counters, neighbours") { AgentQuery.JsonOption };
        command.SetAction((parse, ct) => AgentQuery.RunAsync(parse, "mesh", null, Render, ct));
        var repair = new Command("repair", "Global repair: start a new DODAG version so that every node rejoins") { AgentQuery.JsonOption };
        repair.SetAction((parse, ct) => AgentQuery.RunAsync(parse, "mesh-repair", null, (r, output) => output.WriteLine($"DODAG version now {r.GetProperty("version").GetInt32()}; nodes rejoin as they hear it"), ct));
        command.Subcommands.Add(repair);
        return command;
    }

    public static Command CreateRoutes()
    {
        var command = new Command("routes", "Show the RPL DODAG as a tree: node, rank, parent, hops, last heard, path lifetime") { AgentQuery.JsonOption };
        command.SetAction((parse, ct) => AgentQuery.RunAsync(parse, "routes", null, (r, output) =>
        {
            output.WriteLine($"RPL {r.GetProperty("mode").GetString()}, version {r.GetProperty("version").GetInt32()}, {r.GetProperty("nodes").GetArrayLength()} nodes, DIOs sent {r.GetProperty("diosSent").GetInt64()}, DAOs {r.GetProperty("daosReceived").GetInt64()}");
            output.Write(r.GetProperty("tree").GetString());
        }, ct));
        return command;
    }

    public static Command CreatePing()
    {
        var address = new Argument<string>("address") { Description = "IPv6 address of a mesh node" };
        var count = new Option<int>("-c", "--count") { Description = "Echo requests to send", DefaultValueFactory = _ => 3 };
        var size = new Option<int>("-s", "--size") { Description = "Payload bytes", DefaultValueFactory = _ => 8 };
        var command = new Command("ping", "ICMPv6 echo to a mesh node through the radio") { address, count, size, AgentQuery.JsonOption };
        command.SetAction(async (parse, ct) =>
        {
            int replies = 0;
            int sent = Math.Max(1, parse.GetValue(count));
            for (int i = 0; i < sent; i++)
            {
                int rc = await AgentQuery.RunAsync(parse, "ping", new JsonObject { ["address"] = parse.GetValue(address), ["size"] = parse.GetValue(size) }, (result, output) =>
                {
                    if (result.GetProperty("replied").GetBoolean())
                    {
                        replies++;
                        output.WriteLine($"reply from {result.GetProperty("address").GetString()}: seq={result.GetProperty("sequence").GetInt32()} time={result.GetProperty("roundTripMs").GetDouble().ToString("0.0", CultureInfo.InvariantCulture)} ms");
                    }
                    else
                    {
                        output.WriteLine($"no reply from {result.GetProperty("address").GetString()} (send: {result.GetProperty("sendStatus").GetString()})");
                    }
                }, ct, TimeSpan.FromSeconds(10)).ConfigureAwait(false);
                if (rc != ExitCodes.Ok)
                {
                    return rc;
                }
            }

            Console.Out.WriteLine($"{sent} sent, {replies} replies");
            return replies > 0 ? ExitCodes.Ok : ExitCodes.Timeout;
        });
        return command;
    }

    private static void Render(JsonElement mesh, TextWriter output)
    {
        if (mesh.GetProperty("state").GetString() != "up")
        {
            output.WriteLine($"mesh: {mesh.GetProperty("state").GetString()} (prefix {mesh.GetProperty("prefix").GetString()})");
            return;
        }

        output.WriteLine($"mesh:      {mesh.GetProperty("address").GetString()}  ({mesh.GetProperty("linkLocal").GetString()}, MAC {mesh.GetProperty("mac").GetString()}, PAN {mesh.GetProperty("panId").GetString()})");
        output.WriteLine($"nodes:     {mesh.GetProperty("nodes").GetInt32()}");
        output.WriteLine($"frames:    in {mesh.GetProperty("framesIn").GetInt64()}  out {mesh.GetProperty("framesOut").GetInt64()}  failed {mesh.GetProperty("framesFailed").GetInt64()}  duplicates {mesh.GetProperty("duplicates").GetInt64()}");
        output.WriteLine($"datagrams: in {mesh.GetProperty("datagramsIn").GetInt64()}  out {mesh.GetProperty("datagramsOut").GetInt64()}  not for us {mesh.GetProperty("notForUs").GetInt64()}  no socket {mesh.GetProperty("noSocket").GetInt64()}");
        string errors = string.Join("  ", mesh.GetProperty("errors").EnumerateObject().Select(p => $"{p.Name} {p.Value.GetInt64()}"));
        output.WriteLine("errors:    " + (errors.Length == 0 ? "none" : errors));
        foreach (JsonElement n in mesh.GetProperty("neighbors").EnumerateArray())
        {
            string heard = n.GetProperty("lastHeardSeconds").ValueKind == JsonValueKind.Number ? n.GetProperty("lastHeardSeconds").GetDouble().ToString("0.#", CultureInfo.InvariantCulture) + " s ago" : "never";
            output.WriteLine($"  {n.GetProperty("address").GetString(),-28} heard {heard,-10} in {n.GetProperty("framesIn").GetInt64(),6}  tx ok {n.GetProperty("txOk").GetInt64()} failed {n.GetProperty("txFailed").GetInt64()}");
        }
    }
}
