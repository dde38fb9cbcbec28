using System.Buffers;
using System.Globalization;
using System.Text;
using ActiveGate.Lwm2m.Model;

namespace ActiveGate.Lwm2m.ContentFormats;

/// <summary>
/// text/plain (Core TS 7.3.1): one value of a single resource or resource instance. Numbers are
/// invariant decimal, booleans "0"/"1", times Unix seconds, object links "o:i", opaque base64.
/// </summary>
internal static class PlainTextFormat
{
    public static void Encode(Lwm2mValue value, IBufferWriter<byte> output)
    {
        string text = value.ToString();
        var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        output.Advance(Encoding.UTF8.GetBytes(text, span));
    }

    public static Lwm2mValue Decode(ReadOnlySpan<byte> payload, ResourceType type)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(payload);
        }
        catch (DecoderFallbackException ex)
        {
            throw new Lwm2mFormatException("text/plain payload is not valid UTF-8.", ex);
        }

        var inv = CultureInfo.InvariantCulture;
        switch (type)
        {
            case ResourceType.String:
                return Lwm2mValue.FromString(text);
            case ResourceType.CoreLink:
                return Lwm2mValue.FromCoreLink(text);
            case ResourceType.Integer:
                return long.TryParse(text, NumberStyles.AllowLeadingSign, inv, out long l) ? Lwm2mValue.FromInteger(l) : throw Bad(text, type);
            case ResourceType.UnsignedInteger:
                return ulong.TryParse(text, NumberStyles.None, inv, out ulong u) ? Lwm2mValue.FromUnsignedInteger(u) : throw Bad(text, type);
            case ResourceType.Time:
                return long.TryParse(text, NumberStyles.AllowLeadingSign, inv, out long t) ? Lwm2mValue.FromUnixTime(t) : throw Bad(text, type);
            case ResourceType.Float:
                return double.TryParse(text, NumberStyles.Float, inv, out double d) && double.IsFinite(d) ? Lwm2mValue.FromFloat(d) : throw Bad(text, type);
            case ResourceType.Boolean:
                return text switch
                {
                    "1" => Lwm2mValue.FromBoolean(true),
                    "0" => Lwm2mValue.FromBoolean(false),
                    _ => throw Bad(text, type),
                };
            case ResourceType.ObjectLink:
                return ObjectLink.TryParse(text, out var link) ? Lwm2mValue.FromObjectLink(link) : throw Bad(text, type);
            case ResourceType.Opaque:
                var bytes = new byte[text.Length * 3 / 4 + 3];
                return Convert.TryFromBase64String(text, bytes, out int n) ? Lwm2mValue.FromOpaque(bytes.AsSpan(0, n)) : throw Bad("(opaque)", type);
            default:
                throw new Lwm2mFormatException($"text/plain cannot carry a {type} resource.");
        }
    }

    private static Lwm2mFormatException Bad(string text, ResourceType type) =>
        new($"'{(text.Length > 32 ? text[..32] + "…" : text)}' is not a valid {type} in text/plain.");
}
