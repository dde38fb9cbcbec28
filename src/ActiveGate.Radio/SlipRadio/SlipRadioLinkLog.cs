using Microsoft.Extensions.Logging;

namespace ActiveGate.Radio.SlipRadio;

/// <summary>Source-generated log messages of <see cref="SlipRadioLink"/> (no boxing on the receive path).</summary>
internal static partial class SlipRadioLinkLog
{
    [LoggerMessage(1, LogLevel.Warning, "Radio {Device} cannot be opened ({Error}); retrying with back-off")]
    public static partial void OpenFailed(ILogger logger, string device, string error);

    [LoggerMessage(2, LogLevel.Information, "Radio {Device} opened; waiting for the radio to identify itself")]
    public static partial void Opened(ILogger logger, string device);

    [LoggerMessage(3, LogLevel.Warning, "Radio {Device} disconnected: {Reason}")]
    public static partial void Disconnected(ILogger logger, string device, string reason);

    [LoggerMessage(4, LogLevel.Information, "Radio {Device} up, EUI-64 {Eui64}")]
    public static partial void Up(ILogger logger, string device, string eui64);

    [LoggerMessage(5, LogLevel.Warning, "Radio EUI-64 changed from {Previous} to {Current} (another board?)")]
    public static partial void Eui64Changed(ILogger logger, string previous, string current);

    [LoggerMessage(6, LogLevel.Debug, "Dropped a SLIP frame longer than {Max} bytes")]
    public static partial void Oversized(ILogger logger, int max);

    [LoggerMessage(7, LogLevel.Debug, "Dropped a SLIP frame with an invalid escape sequence")]
    public static partial void InvalidEscape(ILogger logger);

    [LoggerMessage(8, LogLevel.Debug, "Ignored radio command {Hex}")]
    public static partial void BadCommand(ILogger logger, string hex);

    [LoggerMessage(9, LogLevel.Debug, "Transmit report for sid {Sid} that nobody waits for (late or duplicate)")]
    public static partial void UnexpectedTxReport(ILogger logger, byte sid);

    [LoggerMessage(10, LogLevel.Debug, "Radio reports parameter {Parameter} = {Value}")]
    public static partial void ParameterValue(ILogger logger, RadioParameter parameter, ushort value);

    [LoggerMessage(11, LogLevel.Debug, "radio: {Text}")]
    public static partial void RadioText(ILogger logger, string text);

    [LoggerMessage(12, LogLevel.Debug, "Dropped {Length} bytes that are no plausible 802.15.4 frame: {Hex}")]
    public static partial void InvalidFrame(ILogger logger, int length, string hex);

    [LoggerMessage(13, LogLevel.Debug, "Radio did not confirm {Parameter} = {Value} (firmware without ?V?)")]
    public static partial void NotConfirmed(ILogger logger, RadioParameter parameter, ushort value);

    [LoggerMessage(14, LogLevel.Debug, "Closing the radio stream failed: {Error}")]
    public static partial void CloseFailed(ILogger logger, string error);

    [LoggerMessage(15, LogLevel.Error, "A StateChanged handler failed")]
    public static partial void StateHandlerFailed(ILogger logger, Exception exception);
}
