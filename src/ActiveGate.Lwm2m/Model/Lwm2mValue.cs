using System.Globalization;
using System.Text;

namespace ActiveGate.Lwm2m.Model;

/// <summary>
/// One typed LwM2M value. A small immutable struct: numbers, booleans, times and object links live
/// in one 64-bit field, strings and opaque bytes in a reference. Opaque bytes are copied on creation
/// so a value can never be changed behind the model's back.
/// </summary>
public readonly struct Lwm2mValue : IEquatable<Lwm2mValue>
{
    private readonly long _bits;
    private readonly object? _reference;

    private Lwm2mValue(ResourceType type, long bits, object? reference)
    {
        Type = type;
        _bits = bits;
        _reference = reference;
    }

    public ResourceType Type { get; }

    public static Lwm2mValue FromString(string value) => new(ResourceType.String, 0, value ?? throw new ArgumentNullException(nameof(value)));
    public static Lwm2mValue FromInteger(long value) => new(ResourceType.Integer, value, null);
    public static Lwm2mValue FromUnsignedInteger(ulong value) => new(ResourceType.UnsignedInteger, unchecked((long)value), null);
    public static Lwm2mValue FromFloat(double value) => new(ResourceType.Float, BitConverter.DoubleToInt64Bits(value), null);
    public static Lwm2mValue FromBoolean(bool value) => new(ResourceType.Boolean, value ? 1 : 0, null);
    public static Lwm2mValue FromOpaque(ReadOnlySpan<byte> value) => new(ResourceType.Opaque, 0, value.ToArray());
    public static Lwm2mValue FromTime(DateTimeOffset value) => new(ResourceType.Time, value.ToUnixTimeSeconds(), null);
    public static Lwm2mValue FromUnixTime(long seconds) => new(ResourceType.Time, seconds, null);
    public static Lwm2mValue FromObjectLink(ObjectLink value) => new(ResourceType.ObjectLink, (value.ObjectId << 16) | value.InstanceId, null);
    public static Lwm2mValue FromCoreLink(string value) => new(ResourceType.CoreLink, 0, value ?? throw new ArgumentNullException(nameof(value)));

    public string AsString() => Type is ResourceType.String or ResourceType.CoreLink ? (string)_reference! : throw WrongType(ResourceType.String);
    public long AsInteger() => Type switch
    {
        ResourceType.Integer or ResourceType.Time => _bits,
        ResourceType.UnsignedInteger when _bits >= 0 => _bits,
        _ => throw WrongType(ResourceType.Integer),
    };

    public ulong AsUnsignedInteger() => Type switch
    {
        ResourceType.UnsignedInteger => unchecked((ulong)_bits),
        ResourceType.Integer when _bits >= 0 => (ulong)_bits,
        _ => throw WrongType(ResourceType.UnsignedInteger),
    };

    public double AsFloat() => Type == ResourceType.Float ? BitConverter.Int64BitsToDouble(_bits) : throw WrongType(ResourceType.Float);
    public bool AsBoolean() => Type == ResourceType.Boolean ? _bits != 0 : throw WrongType(ResourceType.Boolean);
    public ReadOnlyMemory<byte> AsOpaque() => Type == ResourceType.Opaque ? (byte[])_reference! : throw WrongType(ResourceType.Opaque);
    public long AsUnixTime() => Type == ResourceType.Time ? _bits : throw WrongType(ResourceType.Time);
    public DateTimeOffset AsTime() => DateTimeOffset.FromUnixTimeSeconds(AsUnixTime());
    public ObjectLink AsObjectLink() => Type == ResourceType.ObjectLink ? new ObjectLink((ushort)(_bits >> 16), (ushort)(_bits & 0xFFFF)) : throw WrongType(ResourceType.ObjectLink);

    /// <summary>The value as a number when it is numeric (used by the gt/lt/st attribute rules).</summary>
    public bool TryGetNumber(out double number)
    {
        switch (Type)
        {
            case ResourceType.Integer:
            case ResourceType.Time:
                number = _bits;
                return true;
            case ResourceType.UnsignedInteger:
                number = unchecked((ulong)_bits);
                return true;
            case ResourceType.Float:
                number = BitConverter.Int64BitsToDouble(_bits);
                return true;
            default:
                number = 0;
                return false;
        }
    }

    /// <summary>
    /// Converts a decoded value to the type the model declares (for example a SenML "v" number to a
    /// Time or an Unsigned Integer). Returns false when the conversion would lose or invent data.
    /// </summary>
    public bool TryConvertTo(ResourceType target, out Lwm2mValue converted)
    {
        converted = this;
        if (target == Type)
        {
            return true;
        }

        switch (target)
        {
            case ResourceType.Integer when Type is ResourceType.UnsignedInteger && _bits >= 0:
            case ResourceType.Integer when Type is ResourceType.Time:
                converted = FromInteger(_bits);
                return true;
            case ResourceType.Integer when Type is ResourceType.Float:
                return TryIntegral(BitConverter.Int64BitsToDouble(_bits), out converted, FromInteger);
            case ResourceType.UnsignedInteger when Type is ResourceType.Integer or ResourceType.Time && _bits >= 0:
                converted = FromUnsignedInteger((ulong)_bits);
                return true;
            case ResourceType.UnsignedInteger when Type is ResourceType.Float:
                double d = BitConverter.Int64BitsToDouble(_bits);
                if (d >= 0 && d < 18446744073709551616.0 && Math.Floor(d) == d)
                {
                    converted = FromUnsignedInteger((ulong)d);
                    return true;
                }

                return false;
            case ResourceType.Time when Type is ResourceType.Integer:
                converted = FromUnixTime(_bits);
                return true;
            case ResourceType.Time when Type is ResourceType.UnsignedInteger && _bits >= 0:
                converted = FromUnixTime(_bits);
                return true;
            case ResourceType.Time when Type is ResourceType.Float:
                return TryIntegral(BitConverter.Int64BitsToDouble(_bits), out converted, FromUnixTime);
            case ResourceType.Float when Type is ResourceType.Integer or ResourceType.Time:
                converted = FromFloat(_bits);
                return true;
            case ResourceType.Float when Type is ResourceType.UnsignedInteger:
                converted = FromFloat(unchecked((ulong)_bits));
                return true;
            case ResourceType.CoreLink when Type is ResourceType.String:
                converted = FromCoreLink((string)_reference!);
                return true;
            case ResourceType.String when Type is ResourceType.CoreLink:
                converted = FromString((string)_reference!);
                return true;
            default:
                return false;
        }

        static bool TryIntegral(double d, out Lwm2mValue value, Func<long, Lwm2mValue> make)
        {
            if (Math.Floor(d) == d && d >= long.MinValue && d < 9223372036854775808.0)
            {
                value = make((long)d);
                return true;
            }

            value = default;
            return false;
        }
    }

    /// <summary>Plain-text form (Core TS 7.3.1): numbers invariant, booleans 0/1, opaque base64, links <c>o:i</c>.</summary>
    public override string ToString() => Type switch
    {
        ResourceType.String or ResourceType.CoreLink => (string)_reference!,
        ResourceType.Integer or ResourceType.Time => _bits.ToString(CultureInfo.InvariantCulture),
        ResourceType.UnsignedInteger => unchecked((ulong)_bits).ToString(CultureInfo.InvariantCulture),
        ResourceType.Float => BitConverter.Int64BitsToDouble(_bits).ToString("R", CultureInfo.InvariantCulture),
        ResourceType.Boolean => _bits != 0 ? "1" : "0",
        ResourceType.Opaque => Convert.ToBase64String((byte[])_reference!),
        ResourceType.ObjectLink => AsObjectLink().ToString(),
        _ => string.Empty,
    };

    public bool Equals(Lwm2mValue other)
    {
        if (Type != other.Type)
        {
            return false;
        }

        return Type switch
        {
            ResourceType.String or ResourceType.CoreLink => string.Equals((string?)_reference, (string?)other._reference, StringComparison.Ordinal),
            ResourceType.Opaque => ((byte[])_reference!).AsSpan().SequenceEqual((byte[])other._reference!),
            _ => _bits == other._bits,
        };
    }

    public override bool Equals(object? obj) => obj is Lwm2mValue other && Equals(other);

    public override int GetHashCode() => Type switch
    {
        ResourceType.String or ResourceType.CoreLink => HashCode.Combine(Type, StringComparer.Ordinal.GetHashCode((string)_reference!)),
        ResourceType.Opaque => HashCode.Combine(Type, ((byte[])_reference!).Length),
        _ => HashCode.Combine(Type, _bits),
    };

    public static bool operator ==(Lwm2mValue left, Lwm2mValue right) => left.Equals(right);
    public static bool operator !=(Lwm2mValue left, Lwm2mValue right) => !left.Equals(right);

    /// <summary>Number of bytes the value takes as UTF-8 text or raw bytes (for size limits).</summary>
    internal int ApproximateSize => Type switch
    {
        ResourceType.String or ResourceType.CoreLink => Encoding.UTF8.GetMaxByteCount(((string)_reference!).Length),
        ResourceType.Opaque => ((byte[])_reference!).Length,
        _ => 8,
    };

    private InvalidOperationException WrongType(ResourceType wanted) => new($"The value is {Type}, not {wanted}.");
}

/// <summary>A value at a resource or resource-instance path: the flat unit every content format reads and writes.</summary>
public readonly record struct Lwm2mRecord(Lwm2mPath Path, Lwm2mValue Value);
