using System.Diagnostics;
using ActiveGate.Radio;
using ActiveGate.Radio.Serial;

namespace ActiveGate.Simulator.Tests;

/// <summary>The real <c>activegate-sim</c> executable: command line, --link, and a clean exit on SIGTERM/SIGINT.</summary>
public sealed class SimulatorProcessTests
{
    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task Prints_the_pty_serves_it_through_the_link_and_exits_cleanly_on_a_signal(string signal)
    {
        string link = Path.Combine(Path.GetTempPath(), $"ag-sim-{Guid.NewGuid():N}");
        using Process sim = Start("--link", link, "--plugs", "1", "--dins", "1", "--seed", "3");
        try
        {
            string? pty = await sim.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20));
            Assert.NotNull(pty);
            Assert.StartsWith("/dev/pts/", pty, StringComparison.Ordinal);
            Assert.Equal(pty, new FileInfo(link).LinkTarget);
            string? board = await sim.StandardOutput.ReadLineAsync();
            Assert.Contains("radio board 00:12:4b:00:00:00:00:01", board, StringComparison.Ordinal);
            Assert.Contains("ActivePlug", await sim.StandardOutput.ReadLineAsync(), StringComparison.Ordinal);
            Assert.Contains("ActiveDIN", await sim.StandardOutput.ReadLineAsync(), StringComparison.Ordinal);

            await using (var radio = new SerialRadioLink(new SerialRadioOptions { Port = link }))
            {
                await radio.InitializeAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
                Assert.Equal(0x00124B0000000001UL, radio.ExtendedAddress);
            }

            using Process kill = Process.Start("kill", [$"-{signal}", sim.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await sim.WaitForExitAsync(timeout.Token);
            Assert.Equal(0, sim.ExitCode);
            Assert.False(File.Exists(link) || new FileInfo(link).LinkTarget is not null, "the --link symlink is removed on exit");
        }
        finally
        {
            if (!sim.HasExited)
            {
                sim.Kill();
            }

            File.Delete(link);
        }
    }

    [Fact]
    public async Task Bad_arguments_exit_with_usage_error()
    {
        using Process sim = Start("--channel", "99");
        string error = await sim.StandardError.ReadToEndAsync();
        await sim.WaitForExitAsync();
        Assert.Equal(64, sim.ExitCode);
        Assert.Contains("--channel", error, StringComparison.Ordinal);
        Assert.Contains("usage: activegate-sim", error, StringComparison.Ordinal);
    }

    private static Process Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "activegate-sim.dll"));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("activegate-sim did not start");
    }
}
