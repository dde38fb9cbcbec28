using System.Buffers.Binary;
using ActiveGate.Coap.Messages;

namespace ActiveGate.Coap.Serialization;

/// <summary>
/// A validated, zero-allocation view of a CoAP datagram: header fields are read from the bytes,
/// the token, option values and payload are spans over the original buffer. Obtain one with
/// <see cref="TryParse"/>; materialise a <see cref="CoapMessage"/> with <see cref="ToMessage"/>.
/// </summary>
/// <remarks>
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |Ver| T |  TKL  |      Code     |          Message ID           |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |   Token (if any, TKL bytes) ...
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |   Options (if any) ...
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |1 1 1 1 1 1 1 1|    Payload (if any) ...
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// </remarks>
public readonly ref struct CoapMessageView
{
    private readonly ReadOnlySpan<byte> _datagram;
    private readonly int _optionsEnd;

    private CoapMessageView(ReadOnlySpan<byte> datagram, int optionsEnd, int payloadStart)
    {
        _datagram = datagram;
        _optionsEnd = optionsEnd;
        Payload = payloadStart < datagram.Length ? datagram[payloadStart..] : default;
    }

    /// <summary>Message type.</summary>
    public CoapMessageType Type => (CoapMessageType)((_datagram[0] >> 4) & 0x03);

    /// <summary>Code.</summary>
    public CoapCode Code => new(_datagram[1]);

    /// <summary>Message ID.</summary>
    public ushort MessageId => BinaryPrimitives.ReadUInt16BigEndian(_datagram[2..]);

    /// <summary>Token bytes.</summary>
    public ReadOnlySpan<byte> TokenBytes => _datagram.Slice(4, _datagram[0] & 0x0F);

    /// <summary>Token.</summary>
    public CoapToken Token => CoapToken.FromBytes(TokenBytes);

    /// <summary>Payload bytes (empty when there is no payload marker).</summary>
    public ReadOnlySpan<byte> Payload { get; }

    /// <summary>Enumerates the options without allocating.</summary>
    public OptionEnumerator Options => new(_datagram[(4 + (_datagram[0] & 0x0F)).._optionsEnd]);

    /// <summary>
    /// Validates <paramref name="datagram"/> completely (header, token, every option, payload marker).
    /// On failure <paramref name="error"/> says why and <paramref name="view"/> is default.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> datagram, out CoapMessageView view, out CoapFormatError error)
    {
        view = default;
        error = Validate(datagram, out int optionsEnd, out int payloadStart);
        if (error != CoapFormatError.None)
        {
            return false;
        }

        view = new CoapMessageView(datagram, optionsEnd, payloadStart);
        return true;
    }

    /// <summary>
    /// Reads just enough of a datagram to answer a malformed CON with a RST (§4.2):
    /// true when the header's version is 1 and the type and message ID are readable.
    /// </summary>
    public static bool TryPeekHeader(ReadOnlySpan<byte> datagram, out CoapMessageType type, out ushort messageId)
    {
        type = default;
        messageId = 0;
        if (datagram.Length < 4 || (datagram[0] >> 6) != 1)
        {
            return false;
        }

        type = (CoapMessageType)((datagram[0] >> 4) & 0x03);
        messageId = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
        return true;
    }

    /// <summary>The first option with <paramref name="number"/>.</summary>
    public bool TryGetOption(CoapOptionNumber number, out ReadOnlySpan<byte> value)
    {
        foreach (OptionView option in Options)
        {
            if (option.Number == number)
            {
                value = option.Value;
                return true;
            }

            if (option.Number > number)
            {
                break;
            }
        }

        value = default;
        return false;
    }

    /// <summary>Copies the view into an independent <see cref="CoapMessage"/> (one allocation for all bytes).</summary>
    public CoapMessage ToMessage()
    {
        var message = new CoapMessage { Type = Type, Code = Code, MessageId = MessageId, Token = Token };
        int headerAndToken = 4 + TokenBytes.Length;
        ReadOnlySpan<byte> body = _datagram[headerAndToken..];
        if (body.IsEmpty)
        {
            return message;
        }

        // One backing array; option values and the payload are slices of it.
        ReadOnlyMemory<byte> backing = body.ToArray();
        int optionsLength = _optionsEnd - headerAndToken;
        var enumerator = new OptionEnumerator(body[..optionsLength]);
        while (enumerator.MoveNext())
        {
            OptionView option = enumerator.Current;
            message.Options.Add(new CoapOption(option.Number, backing.Slice(enumerator.ValueOffset, option.Value.Length)));
        }

        if (!Payload.IsEmpty)
        {
            message.Payload = backing[(body.Length - Payload.Length)..];
        }

        return message;
    }

    private static CoapFormatError Validate(ReadOnlySpan<byte> datagram, out int optionsEnd, out int payloadStart)
    {
        optionsEnd = payloadStart = datagram.Length;
        if (datagram.Length < 4)
        {
            return CoapFormatError.TooShort;
        }

        if ((datagram[0] >> 6) != 1)
        {
            return CoapFormatError.UnsupportedVersion;
        }

        var type = (CoapMessageType)((datagram[0] >> 4) & 0x03);
        int tokenLength = datagram[0] & 0x0F;
        var code = new CoapCode(datagram[1]);
        if (tokenLength > 8)
        {
            return CoapFormatError.InvalidTokenLength;
        }

        if (datagram.Length < 4 + tokenLength)
        {
            return CoapFormatError.TruncatedToken;
        }

        if (code.Class is 1 or 3 or 6 or 7)
        {
            return CoapFormatError.ReservedCodeClass;
        }

        if (code.IsEmpty)
        {
            // §4.1: an empty message is exactly the 4-byte header.
            if (datagram.Length != 4 || tokenLength != 0)
            {
                return CoapFormatError.NonEmptyEmptyMessage;
            }

            return type == CoapMessageType.NonConfirmable ? CoapFormatError.EmptyNonConfirmable : CoapFormatError.None;
        }

        if (type == CoapMessageType.Reset)
        {
            return CoapFormatError.ResetNotEmpty;
        }

        if (type == CoapMessageType.Acknowledgement && code.IsRequest)
        {
            return CoapFormatError.AcknowledgementWithRequest;
        }

        int position = 4 + tokenLength;
        int number = 0;
        while (position < datagram.Length)
        {
            byte first = datagram[position];
            if (first == 0xFF)
            {
                if (position + 1 == datagram.Length)
                {
                    return CoapFormatError.EmptyPayloadAfterMarker;
                }

                optionsEnd = position;
                payloadStart = position + 1;
                return CoapFormatError.None;
            }

            CoapFormatError error = ReadOptionHeader(datagram, ref position, out int delta, out int length);
            if (error != CoapFormatError.None)
            {
                return error;
            }

            number += delta;
            if (number > ushort.MaxValue)
            {
                return CoapFormatError.OptionNumberOverflow;
            }

            if (length > datagram.Length - position)
            {
                return CoapFormatError.TruncatedOption;
            }

            position += length;
        }

        optionsEnd = position;
        payloadStart = datagram.Length;
        return CoapFormatError.None;
    }

    /// <summary>
    /// Reads one option's delta and length (with extended bytes) at <paramref name="position"/>,
    /// advancing past them only on success.
    /// <code>
    ///   0   1   2   3   4   5   6   7
    /// +---------------+---------------+
    /// |  Option Delta | Option Length |   1 byte
    /// +---------------+---------------+
    /// /         Option Delta          /   0-2 bytes (nibble 13: value-13, 14: value-269)
    /// +-------------------------------+
    /// /         Option Length         /   0-2 bytes
    /// +-------------------------------+
    /// \         Option Value          \   0 or more bytes
    /// +-------------------------------+
    /// </code>
    /// </summary>
    internal static CoapFormatError ReadOptionHeader(ReadOnlySpan<byte> data, ref int position, out int delta, out int length)
    {
        int cursor = position;
        byte first = data[cursor++];
        delta = first >> 4;
        length = first & 0x0F;
        if (delta == 15)
        {
            return CoapFormatError.ReservedOptionDelta;
        }

        if (length == 15)
        {
            return CoapFormatError.ReservedOptionLength;
        }

        if (!TryReadExtended(data, ref cursor, ref delta) || !TryReadExtended(data, ref cursor, ref length))
        {
            return CoapFormatError.TruncatedOption;
        }

        position = cursor;
        return CoapFormatError.None;
    }

    private static bool TryReadExtended(ReadOnlySpan<byte> data, ref int cursor, ref int value)
    {
        if (value == 13)
        {
            if (cursor + 1 > data.Length)
            {
                return false;
            }

            value = data[cursor] + 13;
            cursor += 1;
        }
        else if (value == 14)
        {
            if (cursor + 2 > data.Length)
            {
                return false;
            }

            value = BinaryPrimitives.ReadUInt16BigEndian(data[cursor..]) + 269;
            cursor += 2;
        }

        return true;
    }

    /// <summary>One option of a view.</summary>
    public readonly ref struct OptionView
    {
        internal OptionView(CoapOptionNumber number, ReadOnlySpan<byte> value)
        {
            Number = number;
            Value = value;
        }

        /// <summary>Option number.</summary>
        public CoapOptionNumber Number { get; }

        /// <summary>Value bytes (a slice of the datagram).</summary>
        public ReadOnlySpan<byte> Value { get; }

        /// <summary>The value as an unsigned integer.</summary>
        public uint GetUInt() => CoapOption.ReadUInt(Value);
    }

    /// <summary>Enumerates the options of an already validated option area.</summary>
    public ref struct OptionEnumerator
    {
        private readonly ReadOnlySpan<byte> _options;
        private int _position;
        private int _number;

        internal OptionEnumerator(ReadOnlySpan<byte> options)
        {
            _options = options;
            _position = 0;
            _number = 0;
            Current = default;
            ValueOffset = 0;
        }

        /// <summary>The current option.</summary>
        public OptionView Current { get; private set; }

        internal int ValueOffset { get; private set; }

        /// <summary>For foreach.</summary>
        public readonly OptionEnumerator GetEnumerator() => this;

        /// <summary>Advances to the next option.</summary>
        public bool MoveNext()
        {
            if (_position >= _options.Length)
            {
                return false;
            }

            // The area was validated by TryParse, so the header cannot fail here.
            _ = ReadOptionHeader(_options, ref _position, out int delta, out int length);
            _number += delta;
            ValueOffset = _position;
            Current = new OptionView((CoapOptionNumber)_number, _options.Slice(_position, length));
            _position += length;
            return true;
        }
    }
}
