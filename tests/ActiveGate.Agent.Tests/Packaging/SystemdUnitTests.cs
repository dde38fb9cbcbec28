using System.Diagnostics;
using ActiveGate.TestKit;

namespace ActiveGate.Agent.Tests.Packaging;

public sealed class SystemdUnitTests
{
    private static string UnitPath => Path.Combine(RepositoryLayout.Root, "systemd", "activegate.service");

    [Fact]
    public async Task Unit_passes_systemd_analyze_verify()
    {
        // verify insists that ExecStart exists; point it at the freshly built executable.
        string directory = AgentProcess.NewScratchDirectory();
        string unit = Path.Combine(directory, "activegate.service");
        string text = await File.ReadAllTextAsync(UnitPath);
        await File.WriteAllTextAsync(unit, text.Replace("/usr/lib/activegate/activegate", Path.Combine(AppContext.BaseDirectory, "activegate"), StringComparison.Ordinal));

        var start = new ProcessStartInfo("systemd-analyze") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add("verify");
        start.ArgumentList.Add(unit);
        using Process process = Process.Start(start)!;
        string errors = await process.StandardError.ReadToEndAsync() + await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.True(process.ExitCode == 0 && errors.Trim().Length == 0, "systemd-analyze verify: " + errors);
    }

    [Theory]
    [InlineData("Type=notify")]
    [InlineData("Restart=on-failure")]
    [InlineData("User=activegate")]
    [InlineData("SupplementaryGroups=dialout")]
    [InlineData("StateDirectory=activegate")]
    [InlineData("LogsDirectory=activegate")]
    [InlineData("ConfigurationDirectory=activegate")]
    [InlineData("RuntimeDirectory=activegate")]
    [InlineData("ProtectSystem=strict")]
    [InlineData("ProtectHome=yes")]
    [InlineData("PrivateTmp=yes")]
    [InlineData("NoNewPrivileges=yes")]
    [InlineData("DevicePolicy=closed")]
    [InlineData("DeviceAllow=char-ttyUSB rw")]
    [InlineData("RestartPreventExitStatus=78")]
    public void Unit_has_the_settings_the_board_depends_on(string line)
    {
        Assert.Contains(line, File.ReadAllLines(UnitPath));
    }

    [Theory]
    [InlineData("PrivateDevices=")]
    [InlineData("MemoryDenyWriteExecute=")]
    public void Unit_avoids_settings_that_break_the_radio_or_the_jit(string setting)
    {
        Assert.DoesNotContain(File.ReadAllLines(UnitPath), l => l.StartsWith(setting, StringComparison.Ordinal));
    }

    [Fact]
    public void Watchdog_interval_leaves_room_for_the_ping_period()
    {
        string watchdog = File.ReadAllLines(UnitPath).Single(l => l.StartsWith("WatchdogSec=", StringComparison.Ordinal));
        int seconds = int.Parse(watchdog["WatchdogSec=".Length..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(seconds, 10, 120);
    }
}
