using System.CommandLine;
using System.Text;
using ActiveGate.Agent.Cli.Coap;

namespace ActiveGate.Agent.Tests.Cli.Coap;

/// <summary>Runs <c>activegate coap ...</c> in-process with captured output, as the executable would.</summary>
internal static class CliRunner
{
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(TimeSpan timeout, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        using var cts = new CancellationTokenSource(timeout);
        int exitCode = await CoapCommand.Create().Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cts.Token);
        return (exitCode, output.ToString(), error.ToString());
    }

    /// <summary>Starts <c>coap serve</c> in the background; dispose to stop it (like Ctrl-C).</summary>
    public static async Task<RunningServer> ServeAsync(params string[] args)
    {
        var output = new SynchronizedWriter();
        var error = new SynchronizedWriter();
        var cts = new CancellationTokenSource();
        Task<int> run = CoapCommand.Create().Parse(["serve", .. args]).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cts.Token);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!output.Text.Contains("Serving", StringComparison.Ordinal))
        {
            if (run.IsCompleted || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"coap serve did not start: exit {(run.IsCompleted ? run.Result : -1)}, {output.Text} {error.Text}");
            }

            await Task.Delay(20);
        }

        return new RunningServer(run, cts, output, error);
    }

    internal sealed class RunningServer(Task<int> run, CancellationTokenSource cts, SynchronizedWriter output, SynchronizedWriter error) : IAsyncDisposable
    {
        public string Output => output.Text;

        public string Error => error.Text;

        public async Task<int> StopAsync()
        {
            await cts.CancelAsync();
            return await run.WaitAsync(TimeSpan.FromSeconds(10));
        }

        public async ValueTask DisposeAsync()
        {
            if (!run.IsCompleted)
            {
                await StopAsync();
            }

            cts.Dispose();
        }
    }

    internal sealed class SynchronizedWriter : StringWriter
    {
        private readonly object _gate = new();

        public string Text
        {
            get
            {
                lock (_gate)
                {
                    return ToString();
                }
            }
        }

        public override void Write(char value)
        {
            lock (_gate)
            {
                base.Write(value);
            }
        }

        public override void Write(string? value)
        {
            lock (_gate)
            {
                base.Write(value);
            }
        }

        public override void WriteLine(string? value)
        {
            lock (_gate)
            {
                base.WriteLine(value);
            }
        }

        public override Encoding Encoding => Encoding.UTF8;
    }
}
