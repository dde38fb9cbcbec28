using System.Buffers;

namespace ActiveGate.Radio.Framing;

/// <summary>Outcome of <see cref="SlipFramer.TryReadFrame"/>.</summary>
public enum SlipFrameStatus
{
    /// <summary>A complete, non-empty frame was decoded and consumed (through its END).</summary>
    Frame,

    /// <summary>No END yet; nothing consumed. Read more bytes and call again.</summary>
    Incomplete,

    /// <summary>A terminated frame decoded to more bytes than allowed; consumed through its END and dropped.</summary>
    Oversized,

    /// <summary>
    /// An unterminated frame already exceeds the limit; everything buffered was consumed. The caller
    /// must discard bytes up to and including the next END (<see cref="SlipFramer.TrySkipToEnd"/>).
    /// </summary>
    OversizedIncomplete,

    /// <summary>ESC followed by anything but ESC_END/ESC_ESC; the frame was consumed through its END and dropped.</summary>
    InvalidEscape,
}

/// <summary>
/// Stateless RFC 1055 SLIP codec. The caller keeps the buffer (a <see cref="ReadOnlySequence{T}"/>
/// from a PipeReader) and the one bit of state SLIP needs after an oversized frame (“discard until END”).
/// </summary>
/// <remarks>
/// <code>
///   END     0xC0   frame delimiter (Contiki firmware sends it before AND after a frame;
///                  the host sends only a trailing one, so empty frames END END are skipped)
///   ESC     0xDB   next byte is escaped
///   ESC_END 0xDC   ESC ESC_END = data byte 0xC0
///   ESC_ESC 0xDD   ESC ESC_ESC = data byte 0xDB
/// </code>
/// There is no length and no CRC: the decoded frame is bounded by the destination span.
/// </remarks>
public static class SlipFramer
{
    /// <summary>Frame delimiter.</summary>
    public const byte End = 0xC0;

    /// <summary>Escape byte.</summary>
    public const byte Esc = 0xDB;

    /// <summary>Escaped END.</summary>
    public const byte EscEnd = 0xDC;

    /// <summary>Escaped ESC.</summary>
    public const byte EscEsc = 0xDD;

    /// <summary>Largest encoding of <paramref name="payloadLength"/> bytes: every byte escaped, leading and trailing END.</summary>
    public static int GetMaxEncodedLength(int payloadLength) => (2 * payloadLength) + 2;

    /// <summary>
    /// Decodes the next non-empty frame from <paramref name="buffer"/> into <paramref name="destination"/>
    /// (whose length is the frame-size limit). On every status but <see cref="SlipFrameStatus.Incomplete"/>
    /// <paramref name="buffer"/> is advanced past what was consumed; leading END bytes are always consumed.
    /// </summary>
    public static SlipFrameStatus TryReadFrame(ref ReadOnlySequence<byte> buffer, Span<byte> destination, out int frameLength)
    {
        frameLength = 0;
        var reader = new SequenceReader<byte>(buffer);

        // Empty frames (END END, or the leading END of a firmware frame) carry nothing.
        reader.AdvancePast(End);
        buffer = buffer.Slice(reader.Position);

        int written = 0;
        bool oversized = false;
        bool invalidEscape = false;
        while (reader.TryRead(out byte b))
        {
            if (b == End)
            {
                buffer = buffer.Slice(reader.Position);
                if (invalidEscape)
                {
                    return SlipFrameStatus.InvalidEscape;
                }

                if (oversized)
                {
                    return SlipFrameStatus.Oversized;
                }

                frameLength = written;
                return SlipFrameStatus.Frame;
            }

            if (b == Esc)
            {
                if (!reader.TryRead(out byte escaped))
                {
                    break; // ESC is the last buffered byte: wait for its partner.
                }

                switch (escaped)
                {
                    case EscEnd:
                        b = End;
                        break;
                    case EscEsc:
                        b = Esc;
                        break;
                    case End:
                        // ESC END: the frame was cut inside an escape sequence.
                        buffer = buffer.Slice(reader.Position);
                        return SlipFrameStatus.InvalidEscape;
                    default:
                        invalidEscape = true;
                        continue;
                }
            }

            if (written < destination.Length)
            {
                destination[written] = b;
            }
            else
            {
                oversized = true;
            }

            written++;
        }

        if (oversized)
        {
            // No END yet but already too long: drop what we have, the caller skips to the next END.
            buffer = buffer.Slice(buffer.End);
            return SlipFrameStatus.OversizedIncomplete;
        }

        return SlipFrameStatus.Incomplete;
    }

    /// <summary>
    /// Discards bytes up to and including the next END. Returns true when an END was found;
    /// otherwise the whole buffer is consumed and discarding must go on with the next bytes.
    /// </summary>
    public static bool TrySkipToEnd(ref ReadOnlySequence<byte> buffer)
    {
        SequencePosition? end = buffer.PositionOf(End);
        if (end is null)
        {
            buffer = buffer.Slice(buffer.End);
            return false;
        }

        buffer = buffer.Slice(buffer.GetPosition(1, end.Value));
        return true;
    }

    /// <summary>
    /// Encodes <paramref name="header"/> followed by <paramref name="payload"/> as one SLIP frame with a
    /// leading and a trailing END. Writes nothing and returns false when <paramref name="destination"/> is too small.
    /// </summary>
    public static bool TryEncode(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        int needed = 2 + EscapedLength(header) + EscapedLength(payload);
        if (destination.Length < needed)
        {
            return false;
        }

        int i = 0;
        destination[i++] = End;
        i += WriteEscaped(header, destination[i..]);
        i += WriteEscaped(payload, destination[i..]);
        destination[i++] = End;
        bytesWritten = i;
        return true;
    }

    /// <summary>Encodes one payload as a SLIP frame with a leading and a trailing END.</summary>
    public static bool TryEncode(ReadOnlySpan<byte> payload, Span<byte> destination, out int bytesWritten)
        => TryEncode([], payload, destination, out bytesWritten);

    private static int EscapedLength(ReadOnlySpan<byte> data)
    {
        int length = data.Length;
        foreach (byte b in data)
        {
            if (b is End or Esc)
            {
                length++;
            }
        }

        return length;
    }

    private static int WriteEscaped(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        int i = 0;
        foreach (byte b in data)
        {
            switch (b)
            {
                case End:
                    destination[i++] = Esc;
                    destination[i++] = EscEnd;
                    break;
                case Esc:
                    destination[i++] = Esc;
                    destination[i++] = EscEsc;
                    break;
                default:
                    destination[i++] = b;
                    break;
            }
        }

        return i;
    }
}
