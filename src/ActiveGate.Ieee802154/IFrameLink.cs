namespace ActiveGate.Ieee802154;

/// <summary>Outcome of handing one frame to the radio (normalised across radio protocols).</summary>
public enum FrameTransmitStatus
{
    /// <summary>Sent; for unicast with ACK request, acknowledged.</summary>
    Ok = 0,

    /// <summary>Unicast frame not acknowledged after the radio's retries.</summary>
    NoAck,

    /// <summary>CSMA-CA gave up (busy channel or collision).</summary>
    ChannelAccessFailure,

    /// <summary>Any other failure (link down, queue full, timeout).</summary>
    Failed,
}

/// <summary>A frame received from the radio.</summary>
/// <param name="Mpdu">The MAC frame WITHOUT its FCS (the radio has checked it).</param>
/// <param name="Timestamp">When the host received it.</param>
/// <param name="Rssi">Received signal strength in dBm when the radio reports it.</param>
/// <param name="Lqi">Link quality indicator when the radio reports it.</param>
public readonly record struct ReceivedFrame(ReadOnlyMemory<byte> Mpdu, DateTimeOffset Timestamp, sbyte? Rssi = null, byte? Lqi = null);

/// <summary>
/// The seam between the mesh stack and whatever moves raw 802.15.4 frames (a slip-radio board,
/// a Spinel RCP, an in-memory medium in tests). Frames never carry an FCS on this seam.
/// </summary>
public interface IFrameLink
{
    /// <summary>
    /// Transmits one MPDU (without FCS). Completes when the radio reports the outcome.
    /// Implementations must keep frames in call order, so fragments of one datagram leave back to back.
    /// </summary>
    ValueTask<FrameTransmitStatus> SendFrameAsync(ReadOnlyMemory<byte> mpdu, CancellationToken cancellationToken);

    /// <summary>
    /// Received frames, in arrival order, until the link is disposed or <paramref name="cancellationToken"/> fires.
    /// Exactly one consumer reads it (the mesh interface's receive loop).
    /// </summary>
    IAsyncEnumerable<ReceivedFrame> ReceiveFramesAsync(CancellationToken cancellationToken);
}
