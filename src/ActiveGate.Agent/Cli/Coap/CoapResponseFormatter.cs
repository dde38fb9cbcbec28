using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ActiveGate.Coap.LinkFormat;
using ActiveGate.Coap.Messages;

namespace ActiveGate.Agent.Cli.Coap;

/// <summary>Renders CoAP responses for field technicians (text) and for machines (<c>--json</c>).</summary>
internal static class CoapResponseFormatter
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = false };

    /// <summary>
    /// Text form: "2.05 Content", one line per option, a blank line, then the payload as text, or
    /// as a hex dump when it is binary.
    /// </summary>
    public static void WriteText(CoapResponse response, TextWriter output)
    {
        output.WriteLine($"{response.Code} {CodeName(response.Code)}");
        foreach (CoapOption option in response.Options)
        {
            output.WriteLine(FormatOption(option));
        }

        if (response.Payload.IsEmpty)
        {
            return;
        }

        output.WriteLine();
        if (TryGetText(response.Payload.Span, response.ContentFormat, out string? text))
        {
            output.WriteLine(text);
        }
        else
        {
            WriteHexDump(response.Payload.Span, output);
        }
    }

    /// <summary>One JSON object per line: code, name, options, payload (text or hex) and its encoding.</summary>
    public static void WriteJson(CoapResponse response, TextWriter output) =>
        output.WriteLine(ToJson(response).ToJsonString(s_json));

    public static JsonObject ToJson(CoapResponse response)
    {
        var options = new JsonArray();
        foreach (CoapOption option in response.Options)
        {
            options.Add(new JsonObject
            {
                ["number"] = (int)option.Number,
                ["name"] = option.Number.ToString(),
                ["value"] = OptionValue(option),
            });
        }

        bool isText = TryGetText(response.Payload.Span, response.ContentFormat, out string? text);
        return new JsonObject
        {
            ["code"] = response.Code.ToString(),
            ["name"] = CodeName(response.Code),
            ["options"] = options,
            ["payloadEncoding"] = isText ? "utf-8" : "hex",
            ["payload"] = isText ? text : Convert.ToHexString(response.Payload.Span).ToLowerInvariant(),
        };
    }

    public static void WriteLinks(IReadOnlyList<CoapLink> links, bool json, TextWriter output)
    {
        if (json)
        {
            var array = new JsonArray();
            foreach (CoapLink link in links)
            {
                var attributes = new JsonObject();
                foreach (KeyValuePair<string, string?> attribute in link.Attributes)
                {
                    attributes[attribute.Key] = attribute.Value is null ? true : JsonValue.Create(attribute.Value);
                }

                array.Add(new JsonObject { ["href"] = link.Target, ["attributes"] = attributes });
            }

            output.WriteLine(array.ToJsonString(s_json));
            return;
        }

        foreach (CoapLink link in links)
        {
            output.WriteLine(link.ToString());
        }
    }

    /// <summary>"Content-Format: 0 (text/plain)"-style line.</summary>
    public static string FormatOption(CoapOption option)
    {
        string name = option.Number switch
        {
            CoapOptionNumber.ContentFormat => "Content-Format",
            CoapOptionNumber.MaxAge => "Max-Age",
            CoapOptionNumber.ETag => "ETag",
            CoapOptionNumber.Observe => "Observe",
            CoapOptionNumber.Block1 => "Block1",
            CoapOptionNumber.Block2 => "Block2",
            CoapOptionNumber.Size1 => "Size1",
            CoapOptionNumber.Size2 => "Size2",
            CoapOptionNumber.LocationPath => "Location-Path",
            CoapOptionNumber.LocationQuery => "Location-Query",
            CoapOptionNumber.Accept => "Accept",
            _ => option.Number.ToString(),
        };
        string shown = OptionValue(option).ToString();
        if (option.Number is CoapOptionNumber.ContentFormat or CoapOptionNumber.Accept)
        {
            shown += $" ({MediaType((int)option.GetUInt())})";
        }
        else if (option.Number is CoapOptionNumber.Block1 or CoapOptionNumber.Block2 && BlockOption.TryDecode(option.GetUInt(), out BlockOption block))
        {
            shown = $"{block.Number}/{(block.More ? 1 : 0)}/{block.Size}";
        }

        return $"{name}: {shown}";
    }

    /// <summary>The reason phrase of RFC 7252 §12.1.2 (and RFC 7959, RFC 8132) for a response code.</summary>
    public static string CodeName(CoapCode code) => (code.Class, code.Detail) switch
    {
        (2, 1) => "Created",
        (2, 2) => "Deleted",
        (2, 3) => "Valid",
        (2, 4) => "Changed",
        (2, 5) => "Content",
        (2, 31) => "Continue",
        (4, 0) => "Bad Request",
        (4, 1) => "Unauthorized",
        (4, 2) => "Bad Option",
        (4, 3) => "Forbidden",
        (4, 4) => "Not Found",
        (4, 5) => "Method Not Allowed",
        (4, 6) => "Not Acceptable",
        (4, 8) => "Request Entity Incomplete",
        (4, 9) => "Conflict",
        (4, 12) => "Precondition Failed",
        (4, 13) => "Request Entity Too Large",
        (4, 15) => "Unsupported Content-Format",
        (4, 22) => "Unprocessable Entity",
        (4, 29) => "Too Many Requests",
        (5, 0) => "Internal Server Error",
        (5, 1) => "Not Implemented",
        (5, 2) => "Bad Gateway",
        (5, 3) => "Service Unavailable",
        (5, 4) => "Gateway Timeout",
        (5, 5) => "Proxying Not Supported",
        _ => code.Name,
    };

    public static string MediaType(int contentFormat) => contentFormat switch
    {
        CoapContentFormat.TextPlain => "text/plain",
        CoapContentFormat.LinkFormat => "application/link-format",
        CoapContentFormat.Xml => "application/xml",
        CoapContentFormat.OctetStream => "application/octet-stream",
        CoapContentFormat.Exi => "application/exi",
        CoapContentFormat.Json => "application/json",
        CoapContentFormat.Cbor => "application/cbor",
        CoapContentFormat.SenmlJson => "application/senml+json",
        CoapContentFormat.SenmlCbor => "application/senml+cbor",
        CoapContentFormat.Lwm2mTlv => "application/vnd.oma.lwm2m+tlv",
        CoapContentFormat.Lwm2mJson => "application/vnd.oma.lwm2m+json",
        CoapContentFormat.Lwm2mCbor => "application/vnd.oma.lwm2m+cbor",
        _ => "unknown",
    };

    /// <summary>Text when the content format is textual (or absent) and the bytes are printable UTF-8.</summary>
    public static bool TryGetText(ReadOnlySpan<byte> payload, int? contentFormat, out string? text)
    {
        text = null;
        if (contentFormat is CoapContentFormat.OctetStream or CoapContentFormat.Cbor or CoapContentFormat.SenmlCbor or CoapContentFormat.Lwm2mTlv or CoapContentFormat.Lwm2mCbor or CoapContentFormat.Exi)
        {
            return false;
        }

        try
        {
            string decoded = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(payload);
            foreach (char c in decoded)
            {
                if (char.IsControl(c) && c is not ('\n' or '\r' or '\t'))
                {
                    return false;
                }
            }

            text = decoded;
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    private static JsonValue OptionValue(CoapOption option)
    {
        option.Number.TryGetDefinition(out CoapOptionFormat format, out _, out _);
        return format switch
        {
            CoapOptionFormat.UInt => JsonValue.Create(option.GetUInt()),
            CoapOptionFormat.String => JsonValue.Create(option.GetString()),
            CoapOptionFormat.Empty => JsonValue.Create(string.Empty),
            _ => JsonValue.Create("0x" + Convert.ToHexString(option.Value.Span).ToLowerInvariant()),
        };
    }

    private static void WriteHexDump(ReadOnlySpan<byte> payload, TextWriter output)
    {
        // 16 bytes per line: offset, hex, printable ASCII (like hexdump -C), so binary stays readable.
        var line = new StringBuilder(80);
        for (int offset = 0; offset < payload.Length; offset += 16)
        {
            ReadOnlySpan<byte> row = payload.Slice(offset, Math.Min(16, payload.Length - offset));
            line.Clear();
            line.Append(offset.ToString("x8", CultureInfo.InvariantCulture)).Append("  ");
            for (int i = 0; i < 16; i++)
            {
                line.Append(i < row.Length ? row[i].ToString("x2", CultureInfo.InvariantCulture) + " " : "   ");
                if (i == 7)
                {
                    line.Append(' ');
                }
            }

            line.Append(" |");
            foreach (byte b in row)
            {
                line.Append(b is >= 0x20 and < 0x7F ? (char)b : '.');
            }

            line.Append('|');
            output.WriteLine(line.ToString());
        }
    }
}
