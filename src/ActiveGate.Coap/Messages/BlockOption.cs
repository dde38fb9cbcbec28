namespace ActiveGate.Coap.Messages;

/// <summary>
/// The value of a Block1 or Block2 option (RFC 7959 §2.2): block number, more flag and size exponent.
/// </summary>
/// <remarks>
/// <code>
///  0 1 2 3 4 5 6 7      (one byte: NUM 0–15)
/// +-+-+-+-+-+-+-+-+
/// |  NUM  |M| SZX |
/// +-+-+-+-+-+-+-+-+
///
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3   (three bytes: NUM up to 2^20-1)
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                   NUM                 |M| SZX |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// Block size = 2^(SZX+4): 16 … 1024 bytes. SZX 7 is reserved (BERT in RFC 8323, not used over UDP).
/// </remarks>
public readonly record struct BlockOption
{
    /// <summary>Largest block number that fits the 3-byte option.</summary>
    public const uint MaxNumber = (1u << 20) - 1;

    /// <summary>Creates a block option value.</summary>
    /// <exception cref="ArgumentOutOfRangeException">NUM above 2^20-1 or SZX above 6.</exception>
    public BlockOption(uint number, bool more, int sizeExponent)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(number, MaxNumber);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)sizeExponent, 6u, nameof(sizeExponent));
        Number = number;
        More = more;
        SizeExponent = sizeExponent;
    }

    /// <summary>NUM: the block's index in units of the block size.</summary>
    public uint Number { get; }

    /// <summary>M: more blocks follow (Block2/Block1 descriptive) or the request is not final (Block1).</summary>
    public bool More { get; }

    /// <summary>SZX (0–6).</summary>
    public int SizeExponent { get; }

    /// <summary>Block size in bytes: 2^(SZX+4).</summary>
    public int Size => 1 << (SizeExponent + 4);

    /// <summary>Byte offset of this block in the whole body.</summary>
    public long Offset => (long)Number * Size;

    /// <summary>The option value as a uint (to be written in its shortest form).</summary>
    public uint Encode() => (Number << 4) | (More ? 0x08u : 0u) | (uint)SizeExponent;

    /// <summary>Decodes a uint option value; false when SZX is the reserved 7 or NUM is out of range.</summary>
    public static bool TryDecode(uint value, out BlockOption block)
    {
        int szx = (int)(value & 0x07);
        uint num = value >> 4;
        if (szx == 7 || num > MaxNumber)
        {
            block = default;
            return false;
        }

        block = new BlockOption(num, (value & 0x08) != 0, szx);
        return true;
    }

    /// <summary>The SZX for a block size (16, 32, …, 1024).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a power of two between 16 and 1024.</exception>
    public static int SizeToExponent(int size)
    {
        if (size < 16 || size > 1024 || (size & (size - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "Block size must be a power of two from 16 to 1024.");
        }

        return System.Numerics.BitOperations.Log2((uint)size) - 4;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Number}/{(More ? 1 : 0)}/{Size}";
}
