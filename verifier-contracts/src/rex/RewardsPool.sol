// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IRewardsPool} from "../interfaces/IRewardsPool.sol";

/// @title RewardsPool
/// @notice The rewards pool of {StakedRex} (see {IRewardsPool}), kept in the contract that holds the
/// stake so that one balance check shows the reserve apart from principal: REX held = sREX supply +
/// `rewardReserve`. No loop over holders: an enrolled account's reward is its sREX times the growth
/// of `rewardPerToken` since it last settled (Synthetix StakingRewards).
abstract contract RewardsPool is IRewardsPool, ReentrancyGuard {
    using SafeERC20 for IERC20;

    uint256 private constant RATE_SCALE = 1e18; // stream rates and `carried`: REX x 1e18 (per second)
    uint256 private constant RPT_SCALE = 1e18; // rewardPerToken = RATE_SCALE x RPT_SCALE per sREX
    /// @notice Seconds each deduction is re-streamed over.
    uint256 public constant DEDUCTION_STREAM = 7 days;
    /// @notice Seconds from deployment the foundation stream lasts.
    uint256 public constant FOUNDATION_PERIOD = 180 days;

    IERC20 internal immutable _rexToken;
    uint256 private immutable _foundationEnd;

    uint256 private _foundationRate;
    uint256 private _deductionRate;
    uint256 private _deductionFinish;
    uint256 private _carried; // emitted while nobody was enrolled, or rounding remainders (x RATE_SCALE)
    uint256 private _lastUpdate;
    uint256 private _rewardPerToken;
    uint256 private _enrolledSupply;
    uint256 private _reserve;
    uint256 private _funded;
    uint256 private _pooled;
    uint256 private _claimed;

    mapping(address => bool) private _enrolled;
    mapping(address => uint256) private _paidPerToken;
    mapping(address => uint256) private _rewards;

    constructor(IERC20 rex) {
        _rexToken = rex;
        _foundationEnd = block.timestamp + FOUNDATION_PERIOD;
        _lastUpdate = block.timestamp;
    }

    // ---------------------------------------------------------------- hooks for StakedRex

    /// @dev The sREX balance of `account`.
    function _stakeOf(address account) internal view virtual returns (uint256);

    /// @dev The sREX supply (principal held).
    function _principal() internal view virtual returns (uint256);

    /// @dev Settle `account` before its sREX balance changes (call `_afterStakeChange` after).
    function _settle(address account) internal {
        _updateRewards();
        if (_enrolled[account]) _settleEnrolled(account);
    }

    /// @dev `account`'s balance went from `before` to `after_`; keep the enrolled supply in step.
    function _afterStakeChange(address account, uint256 before, uint256 after_) internal {
        if (_enrolled[account]) _enrolledSupply = _enrolledSupply + after_ - before;
    }

    /// @dev `amount` REX of a deduction, already held, joins the reserve and the 7-day stream.
    function _pool(uint256 amount) internal {
        _reserve += amount;
        _pooled += amount;
        _restream(amount * RATE_SCALE);
    }

    // ---------------------------------------------------------------- IRewardsPool

    /// @inheritdoc IRewardsPool
    function enroll() external {
        if (_enrolled[msg.sender]) revert RewardsPoolAlreadyEnrolled(msg.sender);
        _updateRewards();
        uint256 before = _enrolledSupply;
        _enrolled[msg.sender] = true;
        _paidPerToken[msg.sender] = _rewardPerToken;
        _enrolledSupply = before + _stakeOf(msg.sender);
        emit RewardsPoolEnrolled(msg.sender);
        // What was carried while nobody was enrolled starts streaming (over 7 days, not at once:
        // the first to enroll cannot take it in one block).
        if (before == 0 && _enrolledSupply != 0 && _carried != 0) _restream(0);
    }

    /// @inheritdoc IRewardsPool
    function unenroll() external {
        if (!_enrolled[msg.sender]) revert RewardsPoolNotEnrolled(msg.sender);
        _settle(msg.sender);
        _enrolled[msg.sender] = false;
        _enrolledSupply -= _stakeOf(msg.sender);
        emit RewardsPoolUnenrolled(msg.sender);
    }

    /// @inheritdoc IRewardsPool
    /// @dev Counted by balance difference (a token that takes a fee on transfer funds what arrived).
    function fund(uint256 amount) external nonReentrant {
        uint256 end = _foundationEnd;
        if (block.timestamp >= end) revert RewardsPoolFundingClosed(end);
        _updateRewards();
        uint256 before = _rexToken.balanceOf(address(this));
        _rexToken.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = _rexToken.balanceOf(address(this)) - before;
        _reserve += received;
        _funded += received;
        uint256 scaled = received * RATE_SCALE;
        uint256 left = end - block.timestamp;
        uint256 rateUp = scaled / left;
        _foundationRate += rateUp;
        _carried += scaled - rateUp * left; // the rounding remainder is re-streamed later, not lost
        emit RewardsPoolFunded(msg.sender, received, end);
    }

    /// @inheritdoc IRewardsPool
    function collectSurplus() external nonReentrant {
        uint256 held = _rexToken.balanceOf(address(this));
        uint256 owed = _principal() + _reserve;
        if (held > owed) { // nothing sent: the deduction stream is left as it is
            _updateRewards();
            _pool(held - owed);
        }
    }

    /// @inheritdoc IRewardsPool
    function claim() external nonReentrant returns (uint256 amount) {
        _settle(msg.sender);
        amount = _rewards[msg.sender];
        if (amount == 0) revert RewardsPoolNothingToClaim(msg.sender);
        _rewards[msg.sender] = 0;
        _reserve -= amount;
        _claimed += amount;
        emit RewardsPoolClaimed(msg.sender, amount);
        _rexToken.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IRewardsPool
    function claimable(address account) external view returns (uint256) {
        if (!_enrolled[account]) return _rewards[account];
        (uint256 rpt,) = _accrued();
        return _rewards[account] + (_stakeOf(account) * (rpt - _paidPerToken[account])) / (RATE_SCALE * RPT_SCALE);
    }

    /// @inheritdoc IRewardsPool
    function rewardPerToken() external view returns (uint256 rpt) {
        (rpt,) = _accrued();
    }

    /// @inheritdoc IRewardsPool
    function isEnrolled(address account) external view returns (bool) {
        return _enrolled[account];
    }

    /// @inheritdoc IRewardsPool
    function enrolledSupply() external view returns (uint256) {
        return _enrolledSupply;
    }

    /// @inheritdoc IRewardsPool
    function rewardReserve() external view returns (uint256) {
        return _reserve;
    }

    /// @inheritdoc IRewardsPool
    function rewardTotals() external view returns (uint256, uint256, uint256) {
        return (_funded, _pooled, _claimed);
    }

    /// @inheritdoc IRewardsPool
    function streams() external view returns (uint256, uint256, uint256, uint256, uint256) {
        (, uint256 carried) = _accrued();
        return (_foundationRate, _foundationEnd, _deductionRate, _deductionFinish, carried);
    }

    // ---------------------------------------------------------------- internals

    /// @dev Brings `rewardPerToken` and `carried` up to now.
    function _updateRewards() private {
        if (block.timestamp == _lastUpdate) return;
        (_rewardPerToken, _carried) = _accrued();
        _lastUpdate = block.timestamp;
    }

    /// @dev `rewardPerToken` and `carried` as `_update` would set them now.
    function _accrued() private view returns (uint256 rpt, uint256 carried) {
        rpt = _rewardPerToken;
        carried = _carried;
        uint256 last = _lastUpdate;
        uint256 emitted = _foundationRate * _elapsed(last, _foundationEnd)
            + _deductionRate * _elapsed(last, _deductionFinish);
        if (emitted == 0) return (rpt, carried);
        uint256 supply = _enrolledSupply;
        if (supply == 0) return (rpt, carried + emitted); // nobody enrolled: carried forward
        uint256 up = (emitted * RPT_SCALE) / supply;
        rpt += up;
        carried += (emitted * RPT_SCALE - up * supply) / RPT_SCALE;
    }

    /// @dev Seconds of a stream ending at `end` between `last` and now.
    function _elapsed(uint256 last, uint256 end) private view returns (uint256) {
        uint256 to = block.timestamp < end ? block.timestamp : end;
        return to > last ? to - last : 0;
    }

    /// @dev Adds `scaled` (REX x RATE_SCALE), what is left of the deduction stream and the carried
    /// remainder to a fresh 7-day deduction stream (the foundation stream is not touched). Call after `_update`.
    function _restream(uint256 scaled) private {
        uint256 finish = _deductionFinish;
        uint256 total = scaled + _carried;
        if (block.timestamp < finish) total += _deductionRate * (finish - block.timestamp);
        uint256 rate = total / DEDUCTION_STREAM;
        _deductionRate = rate;
        _deductionFinish = block.timestamp + DEDUCTION_STREAM;
        _carried = total - rate * DEDUCTION_STREAM;
        emit RewardsPoolRestreamed(scaled / RATE_SCALE, rate, block.timestamp + DEDUCTION_STREAM);
    }

    /// @dev Moves the enrolled `account`'s reward since it last settled into its claimable balance.
    function _settleEnrolled(address account) private {
        uint256 rpt = _rewardPerToken;
        _rewards[account] += (_stakeOf(account) * (rpt - _paidPerToken[account])) / (RATE_SCALE * RPT_SCALE);
        _paidPerToken[account] = rpt;
    }
}
