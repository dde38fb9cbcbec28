using System.Buffers.Binary;

namespace ActiveGate.Coap.Messages;

/// <summary>
/// A token of 0–8 bytes (RFC 7252 §5.3.1), held in a <see cref="ulong"/> so that it can key
/// dictionaries without allocating.
/// </summary>
public readonly struct CoapToken : IEquatable<CoapToken>
{
    private readonly ulong _value;
    private readonly byte _length;

    private CoapToken(ulong value, byte length)
    {
        _value = value;
        _length = length;
    }

    /// <summary>The zero-length token.</summary>
    public static CoapToken Empty => default;

    /// <summary>Number of bytes (0–8).</summary>
    public int Length => _length;

    /// <summary>Creates a token from 0–8 bytes.</summary>
    /// <exception cref="ArgumentException">More than 8 bytes.</exception>
    public static CoapToken FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > 8)
        {
            throw new ArgumentException("A CoAP token has at most 8 bytes.", nameof(bytes));
        }

        Span<byte> full = stackalloc byte[8];
        full.Clear();
        bytes.CopyTo(full[(8 - bytes.Length)..]);
        return new CoapToken(BinaryPrimitives.ReadUInt64BigEndian(full), (byte)bytes.Length);
    }

    /// <summary>Creates a random token of <paramref name="length"/> bytes.</summary>
    public static CoapToken NewRandom(int length = 4)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)length, 8u, nameof(length));
        Span<byte> bytes = stackalloc byte[8];
        System.Security.Cryptography.RandomNumberGenerator.Fill(bytes[..length]);
        return FromBytes(bytes[..length]);
    }

    /// <summary>Writes the token bytes; returns the length.</summary>
    public int CopyTo(Span<byte> destination)
    {
        Span<byte> full = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(full, _value);
        full[(8 - _length)..].CopyTo(destination);
        return _length;
    }

    /// <summary>The token bytes as a new array.</summary>
    public byte[] ToArray()
    {
        byte[] bytes = new byte[_length];
        CopyTo(bytes);
        return bytes;
    }

    /// <inheritdoc/>
    public bool Equals(CoapToken other) => _value == other._value && _length == other._length;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is CoapToken other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_value, _length);

    /// <summary>Same bytes.</summary>
    public static bool operator ==(CoapToken left, CoapToken right) => left.Equals(right);

    /// <summary>Different bytes.</summary>
    public static bool operator !=(CoapToken left, CoapToken right) => !left.Equals(right);

    /// <summary>Hex digits of the token bytes ("" for the empty token).</summary>
    public override string ToString() => Convert.ToHexString(ToArray());
}
