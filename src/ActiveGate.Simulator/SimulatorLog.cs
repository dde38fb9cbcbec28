using ActiveGate.Radio.SlipRadio;
using Microsoft.Extensions.Logging;

namespace ActiveGate.Simulator;

internal static partial class SimulatorLog
{
    [LoggerMessage(1, LogLevel.Information, "radio board: {Parameter} set to {Value}")]
    public static partial void ParameterSet(ILogger logger, RadioParameter parameter, ushort value);

    [LoggerMessage(2, LogLevel.Warning, "pseudo-terminal: {Error}")]
    public static partial void PtyFailed(ILogger logger, string error);

    [LoggerMessage(3, LogLevel.Information, "stopping")]
    public static partial void Stopping(ILogger logger);
}
