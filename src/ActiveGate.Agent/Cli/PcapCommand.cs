using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Serialization;
using ActiveGate.Ieee802154.Pcap;
using ActiveGate.SixLowpan.Diagnostics;
using ActiveGate.SixLowpan.Ipv6;

namespace ActiveGate.Agent.Cli;

/// <summary>
/// <c>activegate pcap decode FILE [--json]</c>: every frame of a capture as our own stack parses it
/// (802.15.4 addresses, IPv6, UDP, CoAP), the fields Wireshark shows — for checking a capture from
/// the field without Wireshark at hand, and for checking our stack against Wireshark.
/// </summary>
internal static class PcapCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("file") { Description = "pcap file (link type 195 or 230)" };
        var prefix = new Option<string>("--prefix") { Description = "Mesh prefix (IPHC context 0)", DefaultValueFactory = _ => "fd00::/64" };
        var json = new Option<bool>("--json") { Description = "One JSON object per frame" };
        var decode = new Command("decode", "Decode every frame with the agent's 802.15.4/6LoWPAN/IPv6/UDP/CoAP stack") { file, prefix, json };
        decode.SetAction(parse =>
        {
            FileInfo path = parse.GetValue(file)!;
            if (!Ipv6Prefix.TryParse(parse.GetValue(prefix), out Ipv6Prefix meshPrefix))
            {
                Console.Error.WriteLine($"activegate: '{parse.GetValue(prefix)}' is not an IPv6 prefix");
                return ExitCodes.Usage;
            }

            IReadOnlyList<DecodedFrame> frames;
            try
            {
                using FileStream stream = path.OpenRead();
                frames = LowpanFrameDecoder.DecodeCapture(stream, meshPrefix);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or PcapFormatException)
            {
                Console.Error.WriteLine($"activegate: {path.FullName}: {ex.Message}");
                return ExitCodes.Failure;
            }

            foreach (DecodedFrame frame in frames)
            {
                JsonObject fields = Describe(frame);
                Console.Out.WriteLine(parse.GetValue(json) ? fields.ToJsonString() : Line(fields));
            }

            return ExitCodes.Ok;
        });
        var command = new Command("pcap", "Work with capture files");
        command.Subcommands.Add(decode);
        return command;
    }

    internal static JsonObject Describe(DecodedFrame frame)
    {
        var fields = new JsonObject
        {
            ["frame"] = frame.Number,
            ["length"] = frame.Length,
            ["fcsOk"] = frame.FcsOk,
            ["error"] = frame.Error,
            ["type"] = frame.FrameType?.ToString(),
            ["seq"] = frame.Sequence,
            ["pan"] = frame.PanId is ushort pan ? $"0x{pan:x4}" : null,
            ["macSrc"] = frame.MacSource,
            ["macDst"] = frame.MacDestination,
            ["fragment"] = frame.Fragment?.ToString(),
            ["reassembled"] = frame.ReassembledLength,
            ["ipSrc"] = frame.Ipv6Source,
            ["ipDst"] = frame.Ipv6Destination,
            ["finalDst"] = frame.FinalDestination,
            ["nextHeader"] = frame.NextHeader,
            ["hopLimit"] = frame.HopLimit,
            ["segmentsLeft"] = frame.SegmentsLeft,
            ["udpSrc"] = frame.UdpSourcePort,
            ["udpDst"] = frame.UdpDestinationPort,
            ["checksumOk"] = frame.ChecksumOk,
            ["icmpv6Type"] = frame.Icmpv6Type,
            ["icmpv6Code"] = frame.Icmpv6Code,
        };
        if (!frame.UdpPayload.IsEmpty)
        {
            if (CoapMessageCodec.TryRead(frame.UdpPayload.Span, out CoapMessage? coap, out CoapFormatError error))
            {
                fields["coapType"] = coap!.Type.ToString();
                fields["coapCode"] = coap.Code.ToString();
                fields["coapMid"] = coap.MessageId;
                fields["coapToken"] = Convert.ToHexStringLower(coap.Token.ToArray());
                fields["coapUriPath"] = coap.UriPathSegments.Count == 0 ? null : "/" + string.Join('/', coap.UriPathSegments);
            }
            else
            {
                fields["coapError"] = error.ToString();
            }
        }

        // Absent fields stay out of the output, as in tshark -T fields.
        foreach (string key in fields.Where(p => p.Value is null).Select(p => p.Key).ToArray())
        {
            fields.Remove(key);
        }

        return fields;
    }

    private static string Line(JsonObject fields) =>
        string.Join("  ", fields.Select(p => $"{p.Key}={(p.Value is JsonValue v && v.TryGetValue(out string? s) ? s : p.Value?.ToJsonString())}"));
}
