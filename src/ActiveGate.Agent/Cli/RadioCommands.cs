using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ActiveGate.Agent.Cli;

/// <summary><c>activegate radio</c> and <c>activegate capture</c>.</summary>
internal static class RadioCommands
{
    public static Command CreateRadio()
    {
        var command = new Command("radio", "Show the radio link: port, state, EUI-64, channel, PAN, frames and errors, last transmit statuses")
        {
            AgentQuery.JsonOption,
        };
        command.SetAction((parse, ct) => AgentQuery.RunAsync(parse, "radio", null, RenderRadio, ct));
        return command;
    }

    public static Command CreateCapture()
    {
        var output = new Option<FileInfo>("-o", "--output") { Description = "pcap file to write", Required = true };
        var seconds = new Option<double>("--seconds") { Description = "How long to capture", DefaultValueFactory = _ => 10 };
        var noFcs = new Option<bool>("--no-fcs") { Description = "Write link type 230 (no FCS) instead of 195" };
        var command = new Command("capture", "Capture every radio frame for a while into a pcap file (open it with Wireshark)")
        {
            output, seconds, noFcs,
        };
        command.SetAction((parse, ct) =>
        {
            FileInfo file = parse.GetValue(output)!;
            double duration = parse.GetValue(seconds);
            var arguments = new JsonObject { ["seconds"] = duration, ["fcs"] = !parse.GetValue(noFcs) };
            return AgentQuery.RunAsync(parse, "capture", arguments, (result, writer) =>
            {
                File.WriteAllBytes(file.FullName, Convert.FromBase64String(result.GetProperty("pcapBase64").GetString()!));
                writer.WriteLine($"{result.GetProperty("frames").GetInt64()} frames written to {file.FullName}{(result.GetProperty("truncated").GetBoolean() ? " (truncated at the size limit)" : "")}");
            }, ct, TimeSpan.FromSeconds(duration + 10));
        });
        return command;
    }

    private static void RenderRadio(JsonElement radio, TextWriter output)
    {
        if (!radio.TryGetProperty("port", out JsonElement port))
        {
            output.WriteLine($"radio: {radio.GetProperty("state").GetString()} (mode {radio.GetProperty("mode").GetString()})");
            return;
        }

        output.WriteLine($"radio:    {port.GetString()}  {radio.GetProperty("state").GetString()}");
        output.WriteLine($"EUI-64:   {Text(radio, "eui64")}   channel {Text(radio, "channel")}   PAN {Text(radio, "panId")}");
        output.WriteLine($"frames:   in {radio.GetProperty("framesIn").GetInt64()} ({radio.GetProperty("bytesIn").GetInt64()} B)   out {radio.GetProperty("framesOut").GetInt64()} ({radio.GetProperty("bytesOut").GetInt64()} B)   connects {radio.GetProperty("connects").GetInt64()}   text lines {radio.GetProperty("textLines").GetInt64()}");
        output.WriteLine("errors:   " + Pairs(radio.GetProperty("errors")));
        output.WriteLine("tx:       " + Pairs(radio.GetProperty("txStatuses")));
        foreach (JsonElement tx in radio.GetProperty("lastTransmits").EnumerateArray().TakeLast(5))
        {
            output.WriteLine($"  {tx.GetProperty("at").GetString()}  {tx.GetProperty("bytes").GetInt32(),4} B  {tx.GetProperty("status").GetString()} after {tx.GetProperty("transmissions").GetInt32()} tries");
        }
    }

    private static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement value) && value.ValueKind != JsonValueKind.Null
            ? value.ValueKind == JsonValueKind.Number ? value.GetInt64().ToString(CultureInfo.InvariantCulture) : value.GetString() ?? "?"
            : "?";

    private static string Pairs(JsonElement obj)
    {
        string text = string.Join("  ", obj.EnumerateObject().Select(p => $"{p.Name} {p.Value.GetInt64()}"));
        return text.Length == 0 ? "none" : text;
    }
}
