using ActiveGate.SixLowpan.Ipv6;
using Microsoft.Extensions.Logging;

namespace ActiveGate.SixLowpan.Rpl.Root;

/// <summary>Source-generated log messages of the root (no formatting cost when disabled).</summary>
internal static partial class RplRootLog
{
    [LoggerMessage(1, LogLevel.Information, "RPL root started: instance {Instance}, DODAG {DodagId}, MOP {Mode}, version {Version}, prefix {Prefix}")]
    public static partial void Started(ILogger logger, byte instance, Ipv6Address dodagId, RplMode mode, byte version, Ipv6Prefix prefix);

    [LoggerMessage(2, LogLevel.Information, "RPL global repair: version {Version}")]
    public static partial void GlobalRepair(ILogger logger, byte version);

    [LoggerMessage(3, LogLevel.Debug, "Dropped malformed RPL message from {Source}: {Error}")]
    public static partial void Malformed(ILogger logger, Ipv6Address source, RplFormatError error);

    [LoggerMessage(4, LogLevel.Information, "RPL node {Address} left: {Reason}")]
    public static partial void NodeLeft(ILogger logger, Ipv6Address address, RplNodeLeftReason reason);

    [LoggerMessage(5, LogLevel.Information, "RPL node {Address} joined via {Via}")]
    public static partial void NodeJoined(ILogger logger, Ipv6Address address, Ipv6Address? via);

    [LoggerMessage(6, LogLevel.Information, "RPL node {Address} moved from {Previous} to {Via}")]
    public static partial void NodeMoved(ILogger logger, Ipv6Address address, Ipv6Address? previous, Ipv6Address? via);

    [LoggerMessage(7, LogLevel.Debug, "DAO seq {Sequence} from {Source} (K={AckRequested}, parent address {Format}): status {Status}")]
    public static partial void Dao(ILogger logger, byte sequence, Ipv6Address source, bool ackRequested, string format, byte status);
}
