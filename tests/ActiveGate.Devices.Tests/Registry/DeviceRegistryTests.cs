using System.Net;
using ActiveGate.Devices.Model;
using ActiveGate.Devices.Registry;

namespace ActiveGate.Devices.Tests.Registry;

public sealed class DeviceRegistryTests
{
    private static string TempFile() => Path.Combine(Path.GetTempPath(), "activegate-tests", Guid.NewGuid().ToString("N"), "devices.json");

    [Fact]
    public void Devices_survive_a_restart_with_channels_relay_state_and_epoch()
    {
        string path = TempFile();
        var registry = new DeviceRegistry(path);
        registry.Update("00124b00060db2a1", _ => new DeviceRecord
        {
            Id = "00124b00060db2a1",
            Address = IPAddress.Parse("fd00::212:4b00:60d:b2a1"),
            Kind = DeviceKind.ActivePlug,
            Model = "ActivePlug",
            Online = true,
            Channels = [new ChannelRecord { Number = 1, RatedCurrentAmperes = 16, MeterPath = "/ch/1/meter", RelayPath = "/ch/1/relay", RelayOn = false, SequenceEpoch = 2, LastSequence = 99 }],
        });

        var reopened = new DeviceRegistry(path);

        Assert.True(reopened.TryGet("00124b00060db2a1", out DeviceRecord device));
        Assert.Equal(IPAddress.Parse("fd00::212:4b00:60d:b2a1"), device.Address);
        Assert.Equal(DeviceKind.ActivePlug, device.Kind);
        Assert.False(device.Online);
        ChannelRecord channel = Assert.Single(device.Channels);
        Assert.Equal((false, 2, 99L, "/ch/1/meter"), (channel.RelayOn!.Value, channel.SequenceEpoch, channel.LastSequence, channel.MeterPath!));
        Assert.Null(reopened.LoadProblem);
    }

    [Fact]
    public void A_corrupt_registry_is_set_aside_and_the_agent_starts_empty()
    {
        string path = TempFile();
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "{ not json");

        var registry = new DeviceRegistry(path);

        Assert.Empty(registry.Snapshot());
        Assert.Contains("moved to", registry.LoadProblem, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!, "devices.json.corrupt-*"));
    }
}
