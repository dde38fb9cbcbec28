using System.Threading.Channels;
using ActiveGate.Ieee802154;

namespace ActiveGate.Radio;

/// <summary>
/// The host side of an 802.15.4 radio that keeps FCS, CSMA, ACKs and retries (Contiki slip-radio today,
/// Spinel later). Everything above it sees MPDUs WITHOUT FCS, a normalised transmit status and a link state.
/// </summary>
/// <remarks>
/// Implementations start their connection loop on <see cref="InitializeAsync"/>, survive the device
/// disappearing (state goes to <see cref="RadioLinkState.Disconnected"/>, reconnects with back-off) and
/// re-apply the channel and PAN id set through this interface after every reconnect.
/// It is also the mesh stack's <see cref="IFrameLink"/>: <c>SendFrameAsync</c> maps to <see cref="TransmitAsync"/>
/// and <c>ReceiveFramesAsync</c> reads <see cref="ReceivedFrames"/> (use one or the other, not both).
/// </remarks>
public interface IRadioLink : IFrameLink, IAsyncDisposable
{
    /// <summary>Where the radio is attached, e.g. "/dev/ttyUSB0@115200" or "tcp://127.0.0.1:60001".</summary>
    string Description { get; }

    /// <summary>Current connection state.</summary>
    RadioLinkState State { get; }

    /// <summary>Raised (on a link thread) whenever <see cref="State"/> changes.</summary>
    event EventHandler<RadioLinkStateChangedEventArgs>? StateChanged;

    /// <summary>
    /// The radio's EUI-64, read from the device (<c>?M</c>/<c>!M</c>) in canonical (printed, big-endian)
    /// order: 00:12:4b:00:06:0d:b2:a1 is 0x00124B00060DB2A1. Null until the radio has answered.
    /// The MAC layer must use it as its own extended address, or the radio's filter and auto-ACK do not match.
    /// </summary>
    ulong? ExtendedAddress { get; }

    /// <summary>Frames received from the air (MPDU without FCS). Bounded; overflow is counted and dropped.</summary>
    ChannelReader<RadioFrame> ReceivedFrames { get; }

    /// <summary>Starts the link and waits until the radio is up and its EUI-64 is known.</summary>
    ValueTask InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Sets the 802.15.4 channel (11–26); kept and re-applied after reconnects.</summary>
    ValueTask SetChannelAsync(int channel, CancellationToken cancellationToken);

    /// <summary>Sets the PAN id; kept and re-applied after reconnects.</summary>
    ValueTask SetPanIdAsync(ushort panId, CancellationToken cancellationToken);

    /// <summary>
    /// Sends one MPDU (without FCS; the radio appends it) and completes when the radio reports the result,
    /// the per-frame timeout expires or the link goes down. Never throws for radio-side failures.
    /// </summary>
    ValueTask<TxResult> TransmitAsync(ReadOnlyMemory<byte> mpduWithoutFcs, CancellationToken cancellationToken);

    /// <summary>A consistent snapshot of the counters for diagnostics (<c>activegate radio</c>).</summary>
    RadioLinkStatistics GetStatistics();
}

/// <summary>State of an <see cref="IRadioLink"/>.</summary>
public enum RadioLinkState
{
    /// <summary>No device: not started, unplugged, or waiting to retry.</summary>
    Disconnected,

    /// <summary>The port is open and the link waits for the radio to identify itself.</summary>
    Connecting,

    /// <summary>The radio answered; frames flow.</summary>
    Up,
}

/// <summary>Arguments of <see cref="IRadioLink.StateChanged"/>.</summary>
public sealed class RadioLinkStateChangedEventArgs(RadioLinkState previous, RadioLinkState current, string? reason) : EventArgs
{
    /// <summary>State before the change.</summary>
    public RadioLinkState Previous { get; } = previous;

    /// <summary>State after the change.</summary>
    public RadioLinkState Current { get; } = current;

    /// <summary>Why, when known (e.g. the I/O error that ended the session).</summary>
    public string? Reason { get; } = reason;
}

/// <summary>One frame received from the radio.</summary>
/// <param name="Mpdu">The 802.15.4 MPDU without FCS (owned by the receiver).</param>
/// <param name="Timestamp">When the host read it.</param>
public readonly record struct RadioFrame(ReadOnlyMemory<byte> Mpdu, DateTimeOffset Timestamp);
