using System.Security.Claims;

namespace CarbonFunctions.Core.Jobs;

/// <summary>
/// Who may read or signal a job through the HTTP API: an authenticated caller (App Service Authentication with Entra ID
/// validates the token; the worker sees its claims) whose name, e-mail, app role or group is the job's owner, or who holds
/// the <see cref="AdminRole"/> app role. A function key alone grants nothing.
/// </summary>
public static class JobAccess
{
    public const string AdminRole = "CarbonFunctions.Admin";

    // Claim types that can name an owner: user names and e-mails for a person, app roles and group ids for a team.
    private static readonly string[] OwnerClaimTypes =
    [
        ClaimTypes.Name, ClaimTypes.Email, ClaimTypes.Upn, ClaimTypes.Role, "name", "preferred_username", "email", "upn", "roles", "groups",
    ];

    public static bool IsAuthenticated(IEnumerable<ClaimsIdentity> identities) => identities.Any(i => i.IsAuthenticated);

    public static bool MayAccess(IEnumerable<ClaimsIdentity> identities, string owner)
    {
        ArgumentNullException.ThrowIfNull(identities);
        ArgumentException.ThrowIfNullOrWhiteSpace(owner);
        var claims = identities.Where(i => i.IsAuthenticated).SelectMany(i => i.Claims).ToList();
        return claims.Any(c => c.Type is ClaimTypes.Role or "roles" && c.Value == AdminRole)
            || claims.Any(c => OwnerClaimTypes.Contains(c.Type) && string.Equals(c.Value, owner, StringComparison.OrdinalIgnoreCase));
    }
}
