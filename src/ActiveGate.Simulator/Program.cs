using System.Runtime.InteropServices;
using ActiveGate.Simulator.Mesh.Rpl;
using Microsoft.Extensions.Logging;

namespace ActiveGate.Simulator;

/// <summary>Entry point of <c>activegate-sim</c>.</summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        SimulatorOptions options;
        try
        {
            options = SimulatorOptions.Parse(args);
        }
        catch (FormatException ex)
        {
            await Console.Error.WriteLineAsync($"activegate-sim: {ex.Message}\n\n{SimulatorOptions.Usage}").ConfigureAwait(false);
            return 64; // EX_USAGE
        }

        if (options.Help)
        {
            Console.WriteLine(SimulatorOptions.Usage);
            return 0;
        }

        using var stop = new CancellationTokenSource();
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

        using var loggers = new StderrLoggerFactory(options.Verbose ? LogLevel.Debug : LogLevel.Information);
        ILogger log = loggers.CreateLogger("activegate-sim");
        if (options.MeasureConvergence)
        {
            return await ConvergenceMeasurement.RunAsync(options, Console.Out, stop.Token).ConfigureAwait(false);
        }

        Simulation simulation;
        try
        {
            simulation = Simulation.Create(options, TimeProvider.System, loggers);
        }
        catch (Exception ex) when (ex is IOException or FormatException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            await Console.Error.WriteLineAsync($"activegate-sim: {ex.Message}").ConfigureAwait(false);
            return 1;
        }

        await using (simulation.ConfigureAwait(false))
        {
            await simulation.StartAsync(stop.Token).ConfigureAwait(false);
            Console.WriteLine(simulation.DevicePath);
            foreach (string line in simulation.Describe())
            {
                Console.WriteLine("# " + line);
            }

            await Console.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                SimulatorLog.Stopping(log);
            }
        }

        return 0;

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true; // We exit by ourselves, after cleaning up the pty link.
            stop.Cancel();
        }
    }
}
