using ActiveGate.Ieee802154;
using Microsoft.Extensions.Logging;

namespace ActiveGate.SixLowpan.Mesh;

/// <summary>Source-generated log messages of the mesh interface (no formatting cost when disabled).</summary>
internal static partial class MeshLog
{
    [LoggerMessage(1, LogLevel.Debug, "Dropped frame: {Reason}")]
    public static partial void FrameDropped(ILogger logger, string reason);

    [LoggerMessage(2, LogLevel.Debug, "Cannot encode a {Length}-byte datagram: {Error}")]
    public static partial void CannotEncode(ILogger logger, int length, LowpanError error);

    [LoggerMessage(3, LogLevel.Debug, "Frame {Index}/{Count} to {NextHop} failed: {Status}")]
    public static partial void FrameFailed(ILogger logger, int index, int count, MacAddress nextHop, FrameTransmitStatus status);

    [LoggerMessage(4, LogLevel.Debug, "Dropped 6LoWPAN packet: {Reason}")]
    public static partial void PacketDropped(ILogger logger, LowpanError reason);

    [LoggerMessage(5, LogLevel.Error, "Error while handling a received frame")]
    public static partial void HandlerFailed(ILogger logger, Exception exception);
}
