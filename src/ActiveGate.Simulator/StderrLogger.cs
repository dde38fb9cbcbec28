using Microsoft.Extensions.Logging;

namespace ActiveGate.Simulator;

/// <summary>A minimal logger to stderr (stdout carries the pty path), so the simulator needs no logging host.</summary>
internal sealed class StderrLoggerFactory(LogLevel minimum) : ILoggerFactory
{
    private static readonly Lock s_gate = new();

    public ILogger CreateLogger(string categoryName) => new StderrLogger(categoryName[(categoryName.LastIndexOf('.') + 1)..], minimum);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class StderrLogger(string category, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            string level = logLevel switch
            {
                LogLevel.Trace => "trce",
                LogLevel.Debug => "dbug",
                LogLevel.Information => "info",
                LogLevel.Warning => "warn",
                LogLevel.Error => "fail",
                _ => "crit",
            };
            lock (s_gate)
            {
                Console.Error.WriteLine($"{level}: {category}: {formatter(state, exception)}{(exception is null ? string.Empty : " " + exception.Message)}");
            }
        }
    }
}
