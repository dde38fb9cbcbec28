using ActiveGate.Agent.Devices;
using ActiveGate.Devices;
using ActiveGate.Proxy.Interworking;

namespace ActiveGate.Agent.Proxy;

/// <summary>Carries out the platform's switching commands on the mesh devices.</summary>
public sealed class DeviceSwitchActuator(DevicesService devices) : ISwitchActuator
{
    public Task<SwitchResult> SwitchAsync(SwitchCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        DeviceManager? manager = devices.Manager;
        return manager is null
            ? Task.FromResult(new SwitchResult(false, null, "the device layer is not running", SwitchFailure.Unreachable))
            : manager.SwitchAsync(command.DeviceId, command.Channel, command.On, cancellationToken);
    }
}
