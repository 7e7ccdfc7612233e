document.body.classList.add('js');
const boxes = document.querySelectorAll('.filters input[data-kind]');
const sync = () => {
  for (const box of boxes) document.body.classList.toggle('hide-' + box.dataset.kind, !box.checked);
};
for (const box of boxes) box.addEventListener('change', sync);
window.addEventListener('pageshow', sync);
sync();
