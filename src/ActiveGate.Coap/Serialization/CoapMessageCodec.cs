using System.Buffers.Binary;
using ActiveGate.Coap.Messages;

namespace ActiveGate.Coap.Serialization;

/// <summary>
/// Stateless encoder and decoder for CoAP over UDP (RFC 7252 §3). Encoding writes nothing on
/// failure; decoding either succeeds or reports a <see cref="CoapFormatError"/> (Try style) or
/// throws <see cref="CoapFormatException"/> — never anything else.
/// </summary>
public static class CoapMessageCodec
{
    /// <summary>Bytes of the fixed header.</summary>
    public const int HeaderLength = 4;

    private const byte PayloadMarker = 0xFF;

    /// <summary>Exact encoded size of <paramref name="message"/>.</summary>
    public static int GetEncodedLength(CoapMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        int length = HeaderLength + message.Token.Length;
        int previous = 0;
        foreach (CoapOption option in message.Options)
        {
            int number = (int)option.Number;
            length += 1 + ExtendedLength(number - previous) + ExtendedLength(option.Value.Length) + option.Value.Length;
            previous = number;
        }

        if (!message.Payload.IsEmpty)
        {
            length += 1 + message.Payload.Length;
        }

        return length;
    }

    /// <summary>
    /// Encodes <paramref name="message"/> into <paramref name="destination"/>. Returns false (and
    /// writes nothing) when the destination is too small.
    /// </summary>
    public static bool TryWrite(CoapMessage message, Span<byte> destination, out int bytesWritten)
    {
        ArgumentNullException.ThrowIfNull(message);
        return TryWrite(message, message.Type, message.MessageId, message.Token, destination, out bytesWritten);
    }

    /// <summary>Encodes into a new array.</summary>
    public static byte[] Encode(CoapMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return Encode(message, message.Type, message.MessageId, message.Token);
    }

    /// <summary>
    /// Encodes <paramref name="message"/> with the given header fields instead of its own, leaving
    /// the message untouched (a server answers with a handler's shared response this way).
    /// </summary>
    internal static byte[] Encode(CoapMessage message, CoapMessageType type, ushort messageId, CoapToken token)
    {
        byte[] buffer = new byte[GetEncodedLength(message) - message.Token.Length + token.Length];
        TryWrite(message, type, messageId, token, buffer, out _);
        return buffer;
    }

    private static bool TryWrite(CoapMessage message, CoapMessageType type, ushort messageId, CoapToken token, Span<byte> destination, out int bytesWritten)
    {
        int length = GetEncodedLength(message) - message.Token.Length + token.Length;
        if (destination.Length < length)
        {
            bytesWritten = 0;
            return false;
        }

        // Ver = 1, T, TKL | Code | Message ID (big-endian)
        destination[0] = (byte)(0x40 | ((int)type << 4) | token.Length);
        destination[1] = message.Code.Value;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], messageId);
        int position = HeaderLength + token.CopyTo(destination[HeaderLength..]);

        int previous = 0;
        foreach (CoapOption option in message.Options)
        {
            int number = (int)option.Number;
            position += WriteOptionHeader(destination[position..], number - previous, option.Value.Length);
            option.Value.Span.CopyTo(destination[position..]);
            position += option.Value.Length;
            previous = number;
        }

        if (!message.Payload.IsEmpty)
        {
            destination[position++] = PayloadMarker;
            message.Payload.Span.CopyTo(destination[position..]);
            position += message.Payload.Length;
        }

        bytesWritten = position;
        return true;
    }

    /// <summary>Decodes a datagram into a new <see cref="CoapMessage"/>; false with the reason when malformed.</summary>
    public static bool TryRead(ReadOnlySpan<byte> datagram, out CoapMessage? message, out CoapFormatError error)
    {
        if (!CoapMessageView.TryParse(datagram, out CoapMessageView view, out error))
        {
            message = null;
            return false;
        }

        message = view.ToMessage();
        return true;
    }

    /// <summary>Decodes a datagram into a new <see cref="CoapMessage"/>.</summary>
    /// <exception cref="CoapFormatException">The datagram is malformed.</exception>
    public static CoapMessage Read(ReadOnlySpan<byte> datagram) =>
        TryRead(datagram, out CoapMessage? message, out CoapFormatError error) ? message! : throw new CoapFormatException(error);

    /// <summary>Writes a 4-byte empty message (ACK or RST) for <paramref name="messageId"/>.</summary>
    public static int WriteEmpty(CoapMessageType type, ushort messageId, Span<byte> destination)
    {
        destination[0] = (byte)(0x40 | ((int)type << 4));
        destination[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], messageId);
        return HeaderLength;
    }

    private static int ExtendedLength(int value) => value < 13 ? 0 : value < 269 ? 1 : 2;

    private static int WriteOptionHeader(Span<byte> destination, int delta, int length)
    {
        if (delta > 65535 + 269 || length > 65535 + 269)
        {
            throw new ArgumentException("Option delta or length does not fit the CoAP encoding.");
        }

        int position = 1;
        int deltaNibble = Nibble(delta);
        int lengthNibble = Nibble(length);
        destination[0] = (byte)((deltaNibble << 4) | lengthNibble);
        position += WriteExtended(destination[position..], deltaNibble, delta);
        position += WriteExtended(destination[position..], lengthNibble, length);
        return position;
    }

    private static int Nibble(int value) => value < 13 ? value : value < 269 ? 13 : 14;

    private static int WriteExtended(Span<byte> destination, int nibble, int value)
    {
        switch (nibble)
        {
            case 13:
                destination[0] = (byte)(value - 13);
                return 1;
            case 14:
                BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)(value - 269));
                return 2;
            default:
                return 0;
        }
    }
}
