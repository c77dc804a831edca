// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title IStakedRex
/// @notice sREX: REX staked 1:1, non-transferable. Each account's stake is kept in bounded age lots
/// (one per week it staked in, oldest first); redeeming pays a deduction that falls linearly with
/// age, d0 x (T - age) / T of the amount, 0 from age T on, rounded up; half is burned, half
/// streamed to the enrolled holders over 7 days (the rewards pool, {RewardsPool}). Holders accrue
/// AI points per sREX per second, capped at C days of accrual; only the points spender (the
/// paymaster) spends or refunds them. All amounts are in the REX's smallest unit (18 decimals);
/// points have 18 decimals too.
interface IStakedRex {
    /// @notice `account` staked `amount` REX for as much sREX.
    event StakedRexStaked(address indexed account, uint256 amount);
    /// @notice `account` redeemed `amount` sREX: `out` REX paid, `deduction` kept, of which `burned`
    /// burned and `pooled` streamed to the rewards pool.
    event StakedRexRedeemed(
        address indexed account, uint256 amount, uint256 out, uint256 deduction, uint256 burned, uint256 pooled
    );
    /// @notice `spender` became the one contract that may spend and refund points.
    event StakedRexPointsSpenderSet(address indexed spender);
    /// @notice The points spender took `points` from `account`.
    event StakedRexPointsSpent(address indexed account, uint256 points);
    /// @notice The points spender gave `points` back to `account` (`credited` after the cap).
    event StakedRexPointsRefunded(address indexed account, uint256 points, uint256 credited);

    /// @notice sREX cannot be transferred (an age lot belongs to the account that staked it).
    error StakedRexNonTransferable();
    /// @notice An amount of 0 was given.
    error StakedRexZeroAmount();
    /// @notice `account` holds `balance` sREX, less than the `amount` asked for.
    error StakedRexInsufficientBalance(address account, uint256 balance, uint256 amount);
    /// @notice The deduction `deduction` is above the caller's limit `maxDeduction`.
    error StakedRexDeductionTooHigh(uint256 deduction, uint256 maxDeduction);
    /// @notice The token moved `received` REX in, not the `amount` asked (fee-on-transfer tokens are refused).
    error StakedRexTransferMismatch(uint256 amount, uint256 received);
    /// @notice `caller` may not do this (points: only the spender; setting the spender: only the deployer, once).
    error StakedRexUnauthorized(address caller);
    /// @notice `account` holds `points` points, fewer than the `needed`.
    error StakedRexInsufficientPoints(address account, uint256 points, uint256 needed);
    /// @notice A deployment parameter is out of range (`which` names it).
    error StakedRexBadParameter(string which);

    /// @notice Stakes `amount` REX (approved to this contract) for as much sREX, to the caller only.
    function stake(uint256 amount) external;
    /// @notice Redeems `amount` sREX, oldest lots first; reverts if the deduction is above `maxDeduction`.
    /// @return out REX paid to the caller
    /// @return deduction REX kept (`burned + pooled`)
    /// @return burned half the deduction, rounded down, burned
    /// @return pooled the rest, streamed to the pool
    function redeem(uint256 amount, uint256 maxDeduction)
        external
        returns (uint256 out, uint256 deduction, uint256 burned, uint256 pooled);
    /// @notice The deduction `redeem(amount, ...)` would take from `account` now.
    function deductionOf(address account, uint256 amount) external view returns (uint256);
    /// @notice `account`'s points now (accrued and capped).
    function pointsOf(address account) external view returns (uint256);
    /// @notice The most points `balance` sREX can hold (C days of accrual).
    function pointsCap(uint256 balance) external view returns (uint256);
    /// @notice Takes `points` from `account`; the points spender only.
    function spendPoints(address account, uint256 points) external;
    /// @notice Gives `points` back to `account`, up to its cap; the points spender only.
    function refundPoints(address account, uint256 points) external;
}
