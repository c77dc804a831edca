// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title IRewardsPool
/// @notice The staking pool of sREX holders who enroll. Rewards (in REX) accrue per enrolled sREX
/// per second with an accumulator (Synthetix `rewardPerToken`); two streams feed it: the
/// foundation's funding, spread evenly until the end of the pool's first 180 days, and redemption
/// deductions, each re-streamed (with what is left of the previous ones) over 7 days. What is
/// emitted while nobody is enrolled is carried forward and re-streamed, never lost. The reward
/// reserve is kept apart from the staked principal: REX held = sREX supply + reserve.
interface IRewardsPool {
    /// @notice `account` enrolled its whole sREX balance in the pool.
    event RewardsPoolEnrolled(address indexed account);
    /// @notice `account` left the pool (its accrued reward stays claimable).
    event RewardsPoolUnenrolled(address indexed account);
    /// @notice `funder` funded the foundation stream with `amount` REX, streamed until `end`.
    event RewardsPoolFunded(address indexed funder, uint256 amount, uint256 end);
    /// @notice `amount` REX (a deduction, a carried remainder or surplus) joined the 7-day stream.
    event RewardsPoolRestreamed(uint256 amount, uint256 rate, uint256 finish);
    /// @notice `account` claimed `amount` REX of reward.
    event RewardsPoolClaimed(address indexed account, uint256 amount);

    /// @notice `account` is already enrolled.
    error RewardsPoolAlreadyEnrolled(address account);
    /// @notice `account` is not enrolled.
    error RewardsPoolNotEnrolled(address account);
    /// @notice The foundation stream ended at `end`; funding is closed.
    error RewardsPoolFundingClosed(uint256 end);
    /// @notice `account` has no reward to claim.
    error RewardsPoolNothingToClaim(address account);

    function enroll() external;
    function unenroll() external;
    /// @notice Pulls `amount` REX (approved) from the caller into the foundation stream.
    function fund(uint256 amount) external;
    /// @notice Streams any REX sent here by plain transfer (above sREX supply + reserve) to the pool.
    function collectSurplus() external;
    function claim() external returns (uint256);
    /// @notice Reward `account` can claim now, REX.
    function claimable(address account) external view returns (uint256);
    /// @notice Accumulated reward per enrolled sREX, scaled by 1e36 (never decreases).
    function rewardPerToken() external view returns (uint256);
    function isEnrolled(address account) external view returns (bool);
    function enrolledSupply() external view returns (uint256);
    /// @notice REX held for rewards (funded + pooled - claimed), apart from principal.
    function rewardReserve() external view returns (uint256);
    /// @notice Totals ever: funded by the foundation, pooled from deductions, claimed.
    function rewardTotals() external view returns (uint256 funded, uint256 pooled, uint256 claimed);
    /// @notice The streams: foundation rate (REX x 1e18 / s) and end; deduction rate and finish; carried (x 1e18).
    function streams()
        external
        view
        returns (uint256 foundationRate, uint256 foundationEnd, uint256 deductionRate, uint256 deductionFinish,
            uint256 carried);
}
