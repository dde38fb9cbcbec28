using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ActiveGate.TestKit.Lwm2m;

/// <summary>Content-Formats a scripted server writes with (Core TS 7.3).</summary>
public enum WriteFormat
{
    PlainText = 0,
    SenmlJson = 110,
    Tlv = 11542,
}

/// <summary>
/// A value a scripted server writes. Implicit from string, long/int, bool and double; raw bytes
/// (<see cref="Raw"/>) go out as they are, so a test can put a value of the wrong type on the wire
/// (a string where the model wants an integer) or bytes that are not UTF-8.
/// </summary>
public readonly struct WriteValue
{
    private WriteValue(object value) => Value = value;

    /// <summary>string, long, bool, double or byte[].</summary>
    public object Value { get; }

    public static WriteValue Text(string value) => new(value ?? throw new ArgumentNullException(nameof(value)));

    public static WriteValue Integer(long value) => new(value);

    public static WriteValue Boolean(bool value) => new(value);

    public static WriteValue Float(double value) => new(value);

    /// <summary>Raw bytes: the TLV value bytes, the text/plain payload, or SenML "vd" (base64url).</summary>
    public static WriteValue Raw(byte[] value) => new(value ?? throw new ArgumentNullException(nameof(value)));

    public static implicit operator WriteValue(string value) => Text(value);

    public static implicit operator WriteValue(long value) => Integer(value);

    public static implicit operator WriteValue(int value) => Integer(value);

    public static implicit operator WriteValue(bool value) => Boolean(value);

    public static implicit operator WriteValue(double value) => Float(value);

    public override string ToString() => Value switch
    {
        byte[] bytes => Convert.ToHexString(bytes),
        _ => Convert.ToString(Value, CultureInfo.InvariantCulture) ?? string.Empty,
    };
}

/// <summary>
/// Encodes what a server sends, written from the specification (Core TS 7.4.3 TLV, RFC 8428 /
/// Core TS 7.4.4 SenML JSON) and not from the client's codec, so the two check each other.
/// </summary>
public static class Lwm2mPayloads
{
    /// <summary>The payload for a Write/Create on /o/i; <paramref name="wrapInstance"/> puts TLV resources in an object-instance TLV.</summary>
    public static byte[] EncodeInstance(WriteFormat format, int objectId, int instanceId, IEnumerable<KeyValuePair<int, WriteValue>> values, bool wrapInstance)
    {
        ArgumentNullException.ThrowIfNull(values);
        switch (format)
        {
            case WriteFormat.Tlv:
                var resources = new List<byte>();
                foreach (var (id, value) in values.OrderBy(kv => kv.Key))
                {
                    resources.AddRange(Tlv(TlvResourceWithValue, id, TlvBytes(value)));
                }

                return wrapInstance ? Tlv(TlvObjectInstance, instanceId, resources.ToArray()) : resources.ToArray();
            case WriteFormat.SenmlJson:
                return Senml(values.OrderBy(kv => kv.Key).Select((kv, i) => (i == 0 ? $"/{objectId}/{instanceId}/" : null, (string?)kv.Key.ToString(CultureInfo.InvariantCulture), kv.Value)));
            default:
                throw new ArgumentOutOfRangeException(nameof(format), format, "An instance is written in TLV or SenML JSON.");
        }
    }

    /// <summary>The payload for a Write on /o/i/r.</summary>
    public static byte[] EncodeResource(WriteFormat format, int objectId, int instanceId, int resourceId, WriteValue value) => format switch
    {
        WriteFormat.PlainText => value.Value switch
        {
            byte[] raw => raw,
            bool b => b ? "1"u8.ToArray() : "0"u8.ToArray(),
            double d => Encoding.UTF8.GetBytes(d.ToString("R", CultureInfo.InvariantCulture)),
            _ => Encoding.UTF8.GetBytes(value.ToString()),
        },
        WriteFormat.Tlv => Tlv(TlvResourceWithValue, resourceId, TlvBytes(value)),
        WriteFormat.SenmlJson => Senml([($"/{objectId}/{instanceId}/{resourceId}", null, value)]),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    /// <summary>SenML JSON for Write-Composite: one record per absolute resource path.</summary>
    public static byte[] EncodeComposite(IEnumerable<KeyValuePair<string, WriteValue>> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return Senml(values.Select(kv => ((string?)null, (string?)kv.Key, kv.Value)));
    }

    // TLV type byte (Core TS 7.4.3): bits 7-6 kind, bit 5 16-bit id, bits 4-3 length width, bits 2-0 short length.
    private const int TlvObjectInstance = 0b00;
    private const int TlvResourceWithValue = 0b11;

    private static byte[] Tlv(int kind, int id, byte[] value)
    {
        var bytes = new List<byte>(value.Length + 6);
        int type = kind << 6;
        if (id > 255)
        {
            type |= 0x20;
        }

        int lengthWidth = value.Length <= 7 ? 0 : value.Length <= 0xFF ? 1 : value.Length <= 0xFFFF ? 2 : 3;
        type |= lengthWidth << 3;
        if (lengthWidth == 0)
        {
            type |= value.Length;
        }

        bytes.Add((byte)type);
        if (id > 255)
        {
            bytes.Add((byte)(id >> 8));
        }

        bytes.Add((byte)id);
        for (int shift = (lengthWidth - 1) * 8; shift >= 0 && lengthWidth > 0; shift -= 8)
        {
            bytes.Add((byte)(value.Length >> shift));
        }

        bytes.AddRange(value);
        return bytes.ToArray();
    }

    private static byte[] TlvBytes(WriteValue value)
    {
        switch (value.Value)
        {
            case string s:
                return Encoding.UTF8.GetBytes(s);
            case bool b:
                return [b ? (byte)1 : (byte)0];
            case double d:
                var f = new byte[8];
                BinaryPrimitives.WriteDoubleBigEndian(f, d);
                return f;
            case long l:
                // The shortest of 1, 2, 4 or 8 bytes, two's complement.
                if (l is >= sbyte.MinValue and <= sbyte.MaxValue)
                {
                    return [(byte)(sbyte)l];
                }

                var buffer = new byte[l is >= short.MinValue and <= short.MaxValue ? 2 : l is >= int.MinValue and <= int.MaxValue ? 4 : 8];
                switch (buffer.Length)
                {
                    case 2:
                        BinaryPrimitives.WriteInt16BigEndian(buffer, (short)l);
                        break;
                    case 4:
                        BinaryPrimitives.WriteInt32BigEndian(buffer, (int)l);
                        break;
                    default:
                        BinaryPrimitives.WriteInt64BigEndian(buffer, l);
                        break;
                }

                return buffer;
            case byte[] raw:
                return raw;
            default:
                throw new InvalidOperationException("Unknown value.");
        }
    }

    private static byte[] Senml(IEnumerable<(string? BaseName, string? Name, WriteValue Value)> records)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartArray();
            foreach (var (baseName, name, value) in records)
            {
                writer.WriteStartObject();
                if (baseName is not null)
                {
                    writer.WriteString("bn", baseName);
                }

                if (name is not null)
                {
                    writer.WriteString("n", name);
                }

                switch (value.Value)
                {
                    case string s:
                        writer.WriteString("vs", s);
                        break;
                    case bool b:
                        writer.WriteBoolean("vb", b);
                        break;
                    case double d:
                        writer.WriteNumber("v", d);
                        break;
                    case long l:
                        writer.WriteNumber("v", l);
                        break;
                    case byte[] raw:
                        writer.WriteString("vd", Convert.ToBase64String(raw).TrimEnd('=').Replace('+', '-').Replace('/', '_'));
                        break;
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        return stream.ToArray();
    }
}
