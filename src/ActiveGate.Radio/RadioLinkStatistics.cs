namespace ActiveGate.Radio;

/// <summary>Why bytes from or to the radio were dropped or failed; keys of <see cref="RadioLinkStatistics.Errors"/>.</summary>
public enum RadioErrorReason
{
    /// <summary>A SLIP frame longer than the configured maximum.</summary>
    OversizedFrame,

    /// <summary>A SLIP escape sequence that RFC 1055 does not define (garbage or a cut frame).</summary>
    InvalidEscape,

    /// <summary>Bytes classified as a frame that are not a plausible 802.15.4 MPDU (truncated, bad modes).</summary>
    InvalidFrame,

    /// <summary>A <c>!</c> command from the radio that is malformed or unknown.</summary>
    BadCommand,

    /// <summary>The radio answered “E…” (for example <c>EUnknown command</c>).</summary>
    RadioError,

    /// <summary>A transmit status report for a session id nobody waits for (late or duplicate).</summary>
    UnexpectedTxReport,

    /// <summary>A transmit that got no status in time.</summary>
    TxTimeout,

    /// <summary>A transmit the radio reported as failed (any status but OK).</summary>
    TxFailed,

    /// <summary>A received frame dropped because the receive queue was full.</summary>
    ReceiveQueueFull,

    /// <summary>The device could not be opened.</summary>
    OpenFailed,

    /// <summary>An open session ended because of an I/O error or end of stream (unplug).</summary>
    Disconnected,
}

/// <summary>One recent transmit, for diagnostics.</summary>
/// <param name="Timestamp">When the result was known.</param>
/// <param name="Length">MPDU length in bytes.</param>
/// <param name="Result">The outcome.</param>
public readonly record struct TxRecord(DateTimeOffset Timestamp, int Length, TxResult Result);

/// <summary>Snapshot of an <see cref="IRadioLink"/>'s state and counters.</summary>
public sealed record RadioLinkStatistics
{
    /// <summary>Where the radio is attached.</summary>
    public required string Description { get; init; }

    /// <summary>Link state.</summary>
    public required RadioLinkState State { get; init; }

    /// <summary>The radio's EUI-64 (canonical order), once known.</summary>
    public ulong? ExtendedAddress { get; init; }

    /// <summary>Channel last set through the link, if any.</summary>
    public int? Channel { get; init; }

    /// <summary>PAN id last set through the link, if any.</summary>
    public ushort? PanId { get; init; }

    /// <summary>802.15.4 frames received and passed up.</summary>
    public long FramesIn { get; init; }

    /// <summary>802.15.4 frames handed to the radio.</summary>
    public long FramesOut { get; init; }

    /// <summary>Bytes read from the device.</summary>
    public long BytesIn { get; init; }

    /// <summary>Bytes written to the device.</summary>
    public long BytesOut { get; init; }

    /// <summary>Text and debug lines the radio printed.</summary>
    public long TextLines { get; init; }

    /// <summary>Times a session reached <see cref="RadioLinkState.Up"/>.</summary>
    public long Connects { get; init; }

    /// <summary>Counts by reason; reasons that never happened are absent.</summary>
    public required IReadOnlyDictionary<RadioErrorReason, long> Errors { get; init; }

    /// <summary>Counts by transmit status.</summary>
    public required IReadOnlyDictionary<TxStatus, long> TxStatuses { get; init; }

    /// <summary>The most recent transmits, oldest first.</summary>
    public required IReadOnlyList<TxRecord> LastTransmits { get; init; }

    /// <summary>Formats an EUI-64 as colon-separated hex, e.g. 00:12:4b:00:06:0d:b2:a1.</summary>
    public static string FormatEui64(ulong eui64)
    {
        Span<char> chars = stackalloc char[23];
        for (int i = 0; i < 8; i++)
        {
            byte b = (byte)(eui64 >> (56 - (8 * i)));
            chars[i * 3] = ToHex(b >> 4);
            chars[(i * 3) + 1] = ToHex(b & 0xF);
            if (i < 7)
            {
                chars[(i * 3) + 2] = ':';
            }
        }

        return new string(chars);

        static char ToHex(int nibble) => (char)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);
    }
}
