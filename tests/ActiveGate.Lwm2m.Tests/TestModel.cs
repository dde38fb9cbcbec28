using ActiveGate.Lwm2m.Model;
using ActiveGate.Lwm2m.Objects;
using Microsoft.Extensions.Time.Testing;

namespace ActiveGate.Lwm2m.Tests;

/// <summary>A model with the standard objects and fixed, fake environment facts.</summary>
internal sealed class TestModel
{
    public TestModel(FakeTimeProvider? time = null)
    {
        Time = time ?? new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));
        Model = new Lwm2mDataModel();
        Security = Model.Add(new SecurityObject { });
        Server = Model.Add(new ServerObject());
        Device = Model.Add(new DeviceObject(Info, Time, new FixedMemory()));
        Connectivity = Model.Add(new ConnectivityMonitoringObject(Time, Network));
        Security.AddAccount(0, "coap://127.0.0.1:5683", isBootstrap: false, SecurityMode.NoSec, [], [], 101);
        Security.AddAccount(1, "coaps://127.0.0.1:5784", isBootstrap: true, SecurityMode.PreSharedKey, "bs-identity"u8, [0xDE, 0xAD, 0xBE, 0xEF], null);
        Server.AddServer(0, 101, 300);
    }

    public static DeviceInfo Info { get; } = new()
    {
        Manufacturer = "ActiveGate Labs",
        ModelNumber = "AG-1",
        SerialNumber = "SN-0001",
        FirmwareVersion = "1.2.3",
        SupportedBindings = "UQ",
    };

    public FakeNetwork Network { get; } = new();
    public FakeTimeProvider Time { get; }
    public Lwm2mDataModel Model { get; }
    public SecurityObject Security { get; }
    public ServerObject Server { get; }
    public DeviceObject Device { get; }
    public ConnectivityMonitoringObject Connectivity { get; }

    internal sealed class FixedMemory : IMemoryInfoProvider
    {
        public (long FreeKiB, long TotalKiB)? GetMemory() => (123456, 2000000);
    }

    internal sealed class FakeNetwork : INetworkStatusProvider
    {
        public int Calls { get; private set; }

        public NetworkSnapshot Snapshot { get; set; } = new(
            NetworkBearer.Ethernet,
            [NetworkBearer.Ethernet, NetworkBearer.Ieee802154],
            ["192.168.1.20", "10.8.0.2", "fd00::1"],
            ["192.168.1.1"],
            0,
            null,
            ["eth0", "tun0", "lowpan0"]);

        public NetworkSnapshot GetSnapshot()
        {
            Calls++;
            return Snapshot;
        }
    }
}
