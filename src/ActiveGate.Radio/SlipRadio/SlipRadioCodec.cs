using System.Buffers.Binary;

namespace ActiveGate.Radio.SlipRadio;

/// <summary>Radio parameters addressed by <c>!V</c>/<c>?V</c> (Contiki <c>os/dev/radio.h</c> numbering).</summary>
public enum RadioParameter : ushort
{
    /// <summary>RADIO_PARAM_CHANNEL.</summary>
    Channel = 1,

    /// <summary>RADIO_PARAM_PAN_ID.</summary>
    PanId = 2,
}

/// <summary>What a SLIP frame from the radio is, following Contiki's <c>slip-dev.c serial_input</c> order.</summary>
public enum SlipRadioMessageKind
{
    /// <summary><c>!M</c> + EUI-64.</summary>
    MacAddress,

    /// <summary><c>!R</c> sid status transmissions.</summary>
    TxReport,

    /// <summary><c>!V</c> type value (reply to <c>?V</c>).</summary>
    ParameterValue,

    /// <summary>Any other or malformed <c>!</c> command.</summary>
    UnknownCommand,

    /// <summary>A <c>?</c> query; the host ignores those.</summary>
    Query,

    /// <summary>A Contiki 3.0 debug line: <c>'\r'</c> then text.</summary>
    DebugLine,

    /// <summary>Printable text (Contiki-NG printf, <c>EUnknown command</c>).</summary>
    Text,

    /// <summary>Anything else: a raw 802.15.4 MPDU without FCS.</summary>
    Frame,
}

/// <summary>
/// Byte formats of Contiki's slip-radio protocol (the payload of one SLIP frame), both directions.
/// Stateless; multi-byte values are big-endian.
/// </summary>
/// <remarks>
/// <code>
/// host → radio   '?' 'M'                                  query EUI-64
///                '!' 'V' type(2) value(2)                 set parameter
///                '?' 'V' type(2)                          get parameter
///                '!' 'S' sid count {id(1) value(2)}* mpdu send (count 0: radio parses the frame itself)
/// radio → host   '!' 'M' eui64(8)                         EUI-64, canonical byte order
///                '!' 'R' sid status tx                    MAC_TX_* status, number of transmissions
///                '!' 'V' type(2) value(2)                 parameter value
///                mpdu                                     received frame, no prefix, no FCS
/// </code>
/// </remarks>
public static class SlipRadioCodec
{
    /// <summary>Length of the <c>!S</c> header this host writes (no attributes).</summary>
    public const int SendHeaderLength = 4;

    /// <summary>Session ids cycle through 0..<see cref="SessionIdCount"/>-1 (Contiki's MAX_CALLBACKS).</summary>
    public const int SessionIdCount = 16;

    /// <summary>The radio's EUI-64 query.</summary>
    public static ReadOnlySpan<byte> MacQuery => "?M"u8;

    /// <summary>Classifies a SLIP payload from the radio.</summary>
    public static SlipRadioMessageKind Classify(ReadOnlySpan<byte> message)
    {
        if (message.IsEmpty)
        {
            return SlipRadioMessageKind.UnknownCommand;
        }

        switch (message[0])
        {
            case (byte)'!':
                if (message.Length >= 2)
                {
                    switch (message[1])
                    {
                        case (byte)'M' when message.Length == 10:
                            return SlipRadioMessageKind.MacAddress;
                        case (byte)'R' when message.Length >= 5:
                            return SlipRadioMessageKind.TxReport;
                        case (byte)'V' when message.Length == 6:
                            return SlipRadioMessageKind.ParameterValue;
                    }
                }

                return SlipRadioMessageKind.UnknownCommand;
            case (byte)'?':
                return SlipRadioMessageKind.Query;
            case (byte)'\r':
                return SlipRadioMessageKind.DebugLine;
        }

        return IsSensibleString(message) ? SlipRadioMessageKind.Text : SlipRadioMessageKind.Frame;
    }

    /// <summary>
    /// Contiki's text heuristic: every byte after the first is printable ASCII or one of NUL, CR, LF, TAB.
    /// Data frames escape it because their second FCF byte (address modes, version) is not printable.
    /// </summary>
    public static bool IsSensibleString(ReadOnlySpan<byte> message)
    {
        for (int i = 1; i < message.Length; i++)
        {
            byte b = message[i];
            if (b is 0 or (byte)'\r' or (byte)'\n' or (byte)'\t')
            {
                continue;
            }

            if (b is < 0x20 or > 0x7E)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Parses <c>!M</c> + 8 bytes into a canonical-order EUI-64.</summary>
    public static bool TryParseMacAddress(ReadOnlySpan<byte> message, out ulong eui64)
    {
        eui64 = 0;
        if (message.Length != 10 || message[0] != '!' || message[1] != 'M')
        {
            return false;
        }

        eui64 = BinaryPrimitives.ReadUInt64BigEndian(message[2..]);
        return true;
    }

    /// <summary>Parses <c>!R sid status tx</c>.</summary>
    public static bool TryParseTxReport(ReadOnlySpan<byte> message, out byte sessionId, out byte status, out byte transmissions)
    {
        sessionId = status = transmissions = 0;
        if (message.Length < 5 || message[0] != '!' || message[1] != 'R')
        {
            return false;
        }

        sessionId = message[2];
        status = message[3];
        transmissions = message[4];
        return true;
    }

    /// <summary>Parses <c>!V type value</c>.</summary>
    public static bool TryParseParameterValue(ReadOnlySpan<byte> message, out RadioParameter parameter, out ushort value)
    {
        parameter = 0;
        value = 0;
        if (message.Length != 6 || message[0] != '!' || message[1] != 'V')
        {
            return false;
        }

        parameter = (RadioParameter)BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        value = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        return true;
    }

    /// <summary>Maps a Contiki <c>MAC_TX_*</c> code to <see cref="TxStatus"/>.</summary>
    public static TxStatus ToTxStatus(byte macTxStatus) => macTxStatus <= 6 ? (TxStatus)macTxStatus : TxStatus.Unknown;

    /// <summary>Writes <c>!V type value</c> (set, or the radio's reply); 6 bytes.</summary>
    public static bool TryWriteParameterValue(RadioParameter parameter, ushort value, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if (destination.Length < 6)
        {
            return false;
        }

        destination[0] = (byte)'!';
        destination[1] = (byte)'V';
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)parameter);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], value);
        bytesWritten = 6;
        return true;
    }

    /// <summary>Writes <c>?V type</c>; 4 bytes.</summary>
    public static bool TryWriteParameterQuery(RadioParameter parameter, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if (destination.Length < 4)
        {
            return false;
        }

        destination[0] = (byte)'?';
        destination[1] = (byte)'V';
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)parameter);
        bytesWritten = 4;
        return true;
    }

    /// <summary>
    /// Writes the <c>!S sid 0</c> header; the MPDU follows it in the same SLIP frame. No attributes are
    /// sent on purpose: their ids depend on the firmware's build flags, and an id the radio does not know
    /// makes it drop the frame without any <c>!R</c>.
    /// </summary>
    public static bool TryWriteSendHeader(byte sessionId, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if (destination.Length < SendHeaderLength || sessionId >= SessionIdCount)
        {
            return false;
        }

        destination[0] = (byte)'!';
        destination[1] = (byte)'S';
        destination[2] = sessionId;
        destination[3] = 0;
        bytesWritten = SendHeaderLength;
        return true;
    }

    // ----- radio side (used by the simulator and by scripted radios in tests) -----

    /// <summary>Radio side: parses <c>!S sid count attrs… mpdu</c>, skipping the attributes.</summary>
    public static bool TryParseSend(ReadOnlySpan<byte> message, out byte sessionId, out ReadOnlySpan<byte> mpdu)
    {
        sessionId = 0;
        mpdu = default;
        if (message.Length < 4 || message[0] != '!' || message[1] != 'S')
        {
            return false;
        }

        sessionId = message[2];
        int attributesEnd = 4 + (3 * message[3]);
        if (attributesEnd > message.Length)
        {
            return false;
        }

        mpdu = message[attributesEnd..];
        return true;
    }

    /// <summary>Radio side: parses <c>?V type</c>.</summary>
    public static bool TryParseParameterQuery(ReadOnlySpan<byte> message, out RadioParameter parameter)
    {
        parameter = 0;
        if (message.Length != 4 || message[0] != '?' || message[1] != 'V')
        {
            return false;
        }

        parameter = (RadioParameter)BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        return true;
    }

    /// <summary>Radio side: writes <c>!M</c> + EUI-64 (canonical order); 10 bytes.</summary>
    public static bool TryWriteMacAddress(ulong eui64, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if (destination.Length < 10)
        {
            return false;
        }

        destination[0] = (byte)'!';
        destination[1] = (byte)'M';
        BinaryPrimitives.WriteUInt64BigEndian(destination[2..], eui64);
        bytesWritten = 10;
        return true;
    }

    /// <summary>Radio side: writes <c>!R sid status tx</c>; 5 bytes.</summary>
    public static bool TryWriteTxReport(byte sessionId, TxStatus status, byte transmissions, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if (destination.Length < 5 || (byte)status > 6)
        {
            return false;
        }

        destination[0] = (byte)'!';
        destination[1] = (byte)'R';
        destination[2] = sessionId;
        destination[3] = (byte)status;
        destination[4] = transmissions;
        bytesWritten = 5;
        return true;
    }
}
