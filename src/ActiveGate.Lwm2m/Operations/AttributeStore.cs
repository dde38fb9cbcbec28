using ActiveGate.Lwm2m.Model;

namespace ActiveGate.Lwm2m.Operations;

/// <summary>
/// Attributes written by the server, per path, and the inheritance rules (Core TS 5.1.2): a
/// resource instance inherits from its resource, which inherits from its instance, then its object,
/// then the server's Default Minimum/Maximum Period (/1/x/2, /1/x/3).
/// </summary>
public sealed class AttributeStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Lwm2mPath, NotificationAttributes> _byPath = new();

    /// <summary>Raised after attributes changed so observations re-evaluate their timers.</summary>
    public event EventHandler<Lwm2mPath>? Changed;

    public NotificationAttributes Get(Lwm2mPath path)
    {
        lock (_gate)
        {
            return _byPath.GetValueOrDefault(path) ?? NotificationAttributes.Empty;
        }
    }

    /// <summary>The attributes that apply at <paramref name="path"/> after inheritance.</summary>
    public NotificationAttributes GetEffective(Lwm2mPath path, NotificationAttributes serverDefaults)
    {
        ArgumentNullException.ThrowIfNull(serverDefaults);
        lock (_gate)
        {
            var effective = NotificationAttributes.Empty;
            for (var p = path; ; p = p.Parent)
            {
                if (_byPath.TryGetValue(p, out var at))
                {
                    // Thresholds only make sense on the numeric resource itself, not above it.
                    effective = effective.InheritFrom(p.Length >= 3 ? at : at with { GreaterThan = null, LessThan = null, Step = null });
                }

                if (p.Length <= 1)
                {
                    break;
                }
            }

            return effective.InheritFrom(serverDefaults);
        }
    }

    /// <summary>
    /// Write-Attributes (Core TS 6.3.4): validates the result and stores it.
    /// <paramref name="resourceDefinition"/> is the target's definition when the path is a resource or resource instance.
    /// </summary>
    public void Write(Lwm2mPath path, AttributeChanges changes, ResourceDefinition? resourceDefinition)
    {
        ArgumentNullException.ThrowIfNull(changes);
        if (path.IsRoot)
        {
            throw new Lwm2mException(Lwm2mStatus.MethodNotAllowed, "Write-Attributes on / is not defined.");
        }

        if (changes.SetsThresholds)
        {
            bool numeric = resourceDefinition is { Type: ResourceType.Integer or ResourceType.UnsignedInteger or ResourceType.Float };
            if (path.Length < 3 || !numeric || (resourceDefinition!.Multiple && path.IsResource))
            {
                throw new Lwm2mException(Lwm2mStatus.BadRequest, "gt, lt and st apply to a numeric single-value resource only.");
            }
        }

        lock (_gate)
        {
            var updated = (_byPath.GetValueOrDefault(path) ?? NotificationAttributes.Empty).Apply(changes);
            if (updated.LessThan is double lt && updated.GreaterThan is double gt)
            {
                if (lt >= gt)
                {
                    throw new Lwm2mException(Lwm2mStatus.BadRequest, "lt must be smaller than gt.");
                }

                if (updated.Step is double st && lt + (2 * st) >= gt)
                {
                    throw new Lwm2mException(Lwm2mStatus.BadRequest, "lt + 2*st must be smaller than gt.");
                }
            }

            if (updated.EvaluationMinPeriod is long epmin && updated.EvaluationMaxPeriod is long epmax && epmax <= epmin)
            {
                throw new Lwm2mException(Lwm2mStatus.BadRequest, "epmax must be greater than epmin.");
            }

            if (updated.IsEmpty)
            {
                _byPath.Remove(path);
            }
            else
            {
                _byPath[path] = updated;
            }
        }

        Changed?.Invoke(this, path);
    }

    /// <summary>Drops attributes at and below a deleted path.</summary>
    public void RemoveBelow(Lwm2mPath path)
    {
        lock (_gate)
        {
            foreach (var key in _byPath.Keys.Where(path.IsPrefixOf).ToArray())
            {
                _byPath.Remove(key);
            }
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _byPath.Clear();
        }
    }
}
